/**
 * Stack configuration: the keys a user may set, their defaults, and the validation that turns raw
 * config strings into typed settings. Pure: it knows nothing of Pulumi, so that it can be tested
 * without a program and reused by tools that read `Pulumi.<stack>.yaml` themselves.
 */
import { MAX_ATTEMPTS, minimumFunctionTimeoutSeconds, REQUEST_TIMEOUT_MS, stalledCallMs } from "../functions/callback/client-settings";
import { MAX_TASK_TIMEOUT_SECONDS } from "./definition";

/** Step Functions log levels (`LoggingConfiguration.level`). */
export const LOG_LEVELS = ["ALL", "ERROR", "FATAL", "OFF"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`), never-expire (0) excluded. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The settings the stack is built from, after validation. */
export interface CallbackPatternSettings {
    /** `TimeoutSeconds` of the wait-for-callback task: how long an execution waits for its token. */
    taskTimeoutSeconds: number;
    /** Optional `HeartbeatSeconds` of the wait-for-callback task; smaller than the timeout. */
    heartbeatSeconds?: number;
    /** Timeout of the callback Lambda function. */
    functionTimeoutSeconds: number;
    /** Memory of the callback Lambda function. */
    functionMemoryMb: number;
    /** Most records the event source mapping hands the function at once. */
    batchSize: number;
    /** How long the event source mapping may gather records before it invokes the function. */
    maxBatchingWindowSeconds: number;
    /** Receives of a message before SQS moves it to the dead-letter queue. */
    maxReceiveCount: number;
    /** Optional address subscribed to the notification topic (AWS sends a confirmation mail). */
    notificationEmail?: string;
    /** Optional address subscribed to the operations topic that the alarms notify. */
    alarmEmail?: string;
    /** What the state machine writes to its log group. */
    logLevel: LogLevel;
    /** Whether state machine logs carry execution input and output (which hold task tokens). */
    includeExecutionData: boolean;
    /** Retention of every log group the stack creates. */
    logRetentionDays: number;
    /** Tags added to every resource that takes tags. */
    tags: Record<string, string>;
    /** Optional managed policy set as the permissions boundary of both roles the stack creates. */
    permissionsBoundaryArn?: string;
}

/** What a key that is not set stands for. */
export const DEFAULT_SETTINGS: Readonly<CallbackPatternSettings> = Object.freeze({
    taskTimeoutSeconds: 300,
    functionTimeoutSeconds: 10,
    functionMemoryMb: 256,
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    logLevel: "ERROR",
    includeExecutionData: false,
    logRetentionDays: 30,
    tags: {},
});

/** Every key this program reads, in the order the README documents them. */
export const CONFIG_KEYS = [
    "taskTimeoutSeconds",
    "heartbeatSeconds",
    "functionTimeoutSeconds",
    "functionMemoryMb",
    "batchSize",
    "maxBatchingWindowSeconds",
    "maxReceiveCount",
    "notificationEmail",
    "alarmEmail",
    "logLevel",
    "includeExecutionData",
    "logRetentionDays",
    "tags",
    "permissionsBoundaryArn",
] as const satisfies readonly (keyof CallbackPatternSettings)[];

/** A config key of this program. */
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** What a message shows in place of a value that was set as a secret. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Thrown when the configuration is invalid; `problems` has one line per bad key. */
export class ConfigError extends Error {
    constructor(public readonly problems: readonly string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** AWS reserves tag names that start with this; `TagResource` rejects them. */
export const RESERVED_TAG_PREFIX = "aws:";
/** AWS's limits on a resource's tags: how many, and how long a name and a value may be. */
export const AWS_TAG_LIMITS = { perResource: 50, nameLength: 128, valueLength: 256 } as const;
/** The user's tags a stack takes: AWS's 50 per resource, less room for the stack's own (see index.ts). */
export const MAX_USER_TAGS = 45;

/** An IAM managed policy's ARN (customer managed or AWS managed), with an optional path. */
export const MANAGED_POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

// A pragmatic address check (what SNS accepts is looser, but a typo should not reach AWS).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Validates raw config values (key without namespace → the string Pulumi holds) and returns the
 * settings, or throws a {@link ConfigError} naming every bad key, its value and what is allowed.
 * The value of a key set as a secret is never shown, nor is it shown where another key's message
 * would quote it.
 *
 * @param namespace the config namespace (the project name), used in messages: `ns:key`.
 * @param raw every config value of that namespace as Pulumi delivers it (strings; objects as JSON).
 * @param secretKeys the keys (without namespace) whose values were set as secrets.
 */
export function parseSettings(
    namespace: string,
    raw: Readonly<Record<string, string>>,
    secretKeys: ReadonlySet<string> = new Set(),
): CallbackPatternSettings {
    const problems: string[] = [];
    const name = (key: string) => `${namespace}:${key}`;
    const secret = (key: string) => secretKeys.has(key);
    /** Another key's number as a message may quote it: the placeholder when that key is a secret. */
    const quote = (key: string, value: number) => (secret(key) ? SECRET_PLACEHOLDER : String(value));
    const bad = (key: string, value: string, allowed: string) =>
        problems.push(
            secret(key)
                ? `${name(key)} (set as a secret; its value is not shown) is not valid: ${allowed}.`
                : `${name(key)} is ${JSON.stringify(value)}: ${allowed}.`,
        );

    const known = new Set<string>(CONFIG_KEYS);
    for (const key of Object.keys(raw).sort()) {
        if (!known.has(key)) {
            problems.push(`${name(key)} is not a setting of this program; the settings are: ${CONFIG_KEYS.join(", ")}.`);
        }
    }

    const integer = (key: (typeof CONFIG_KEYS)[number], min: number, max: number, fallback?: number) => {
        const value = raw[key];
        if (value === undefined) return fallback;
        const trimmed = value.trim();
        const parsed = /^-?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
        if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
            bad(key, value, `must be a whole number from ${min} to ${max}`);
            return undefined;
        }
        return parsed;
    };

    const d = DEFAULT_SETTINGS;
    const taskTimeoutSeconds = integer("taskTimeoutSeconds", 1, MAX_TASK_TIMEOUT_SECONDS, d.taskTimeoutSeconds);
    const heartbeatSeconds = integer("heartbeatSeconds", 1, MAX_TASK_TIMEOUT_SECONDS - 1);
    const functionTimeoutSeconds = integer("functionTimeoutSeconds", 1, 900, d.functionTimeoutSeconds);
    const functionMemoryMb = integer("functionMemoryMb", 128, 10240, d.functionMemoryMb);
    const batchSize = integer("batchSize", 1, 10000, d.batchSize);
    const maxBatchingWindowSeconds = integer("maxBatchingWindowSeconds", 0, 300, d.maxBatchingWindowSeconds);
    const maxReceiveCount = integer("maxReceiveCount", 1, 1000, d.maxReceiveCount);
    const logRetentionDays = integer("logRetentionDays", 1, 3653, d.logRetentionDays);

    if (heartbeatSeconds !== undefined && taskTimeoutSeconds !== undefined && heartbeatSeconds >= taskTimeoutSeconds) {
        bad(
            "heartbeatSeconds",
            String(raw.heartbeatSeconds),
            `must be smaller than ${name("taskTimeoutSeconds")} (${quote("taskTimeoutSeconds", taskTimeoutSeconds)})`,
        );
    }
    if (batchSize !== undefined && batchSize > 10 && maxBatchingWindowSeconds !== undefined && maxBatchingWindowSeconds < 1) {
        bad(
            "batchSize",
            String(raw.batchSize),
            `a batch size over 10 needs ${name("maxBatchingWindowSeconds")} of at least 1 (it is ${quote("maxBatchingWindowSeconds", maxBatchingWindowSeconds)})`,
        );
    }
    if (logRetentionDays !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
        bad("logRetentionDays", String(raw.logRetentionDays), `must be one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }

    let logLevel: LogLevel | undefined = d.logLevel;
    if (raw.logLevel !== undefined) {
        logLevel = LOG_LEVELS.find((level) => level === raw.logLevel);
        if (logLevel === undefined) bad("logLevel", raw.logLevel, `must be one of ${LOG_LEVELS.join(", ")}`);
    }

    let includeExecutionData: boolean | undefined = d.includeExecutionData;
    if (raw.includeExecutionData !== undefined) {
        // A comparison, not a lookup in `{ true: true, false: false }`: that object also answers "constructor".
        includeExecutionData = raw.includeExecutionData === "true" ? true : raw.includeExecutionData === "false" ? false : undefined;
        if (includeExecutionData === undefined) bad("includeExecutionData", raw.includeExecutionData, "must be true or false");
    }

    const email = (key: "notificationEmail" | "alarmEmail") => {
        const value = raw[key];
        if (value !== undefined && !EMAIL.test(value)) bad(key, value, "must be an email address such as ops@example.com");
        return value;
    };
    const notificationEmail = email("notificationEmail");
    const alarmEmail = email("alarmEmail");

    const tags = parseTags(raw.tags, (allowed) => bad("tags", String(raw.tags), allowed), secret("tags"));

    const permissionsBoundaryArn = raw.permissionsBoundaryArn;
    if (permissionsBoundaryArn !== undefined && !MANAGED_POLICY_ARN.test(permissionsBoundaryArn)) {
        bad(
            "permissionsBoundaryArn",
            permissionsBoundaryArn,
            "must be the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/deploy-boundary",
        );
    }

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        // Each is defined here: a missing one would have added a problem above.
        taskTimeoutSeconds: taskTimeoutSeconds!,
        ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}),
        functionTimeoutSeconds: functionTimeoutSeconds!,
        functionMemoryMb: functionMemoryMb!,
        batchSize: batchSize!,
        maxBatchingWindowSeconds: maxBatchingWindowSeconds!,
        maxReceiveCount: maxReceiveCount!,
        ...(notificationEmail !== undefined ? { notificationEmail } : {}),
        ...(alarmEmail !== undefined ? { alarmEmail } : {}),
        logLevel: logLevel!,
        includeExecutionData: includeExecutionData!,
        logRetentionDays: logRetentionDays!,
        tags: tags ?? {},
        ...(permissionsBoundaryArn !== undefined ? { permissionsBoundaryArn } : {}),
    };
}

/** Parses the `tags` map; a secret map's messages name tags by position, not by name. */
function parseTags(value: string | undefined, bad: (allowed: string) => void, secret: boolean): Record<string, string> | undefined {
    if (value === undefined) return {};
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        bad("must be a map of tag names to string values (set it with `pulumi config set --path tags.team platform`)");
        return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        bad("must be a map of tag names to string values");
        return undefined;
    }
    const entries = Object.entries(parsed);
    for (const [index, [key, tagValue]] of entries.entries()) {
        const tag = secret ? `tag #${index + 1}` : `tag ${JSON.stringify(key)}`;
        if (typeof tagValue !== "string") {
            bad(`${tag} must have a string value (quote numbers and booleans)`);
            return undefined;
        }
        if (key.length < 1 || key.length > AWS_TAG_LIMITS.nameLength || tagValue.length > AWS_TAG_LIMITS.valueLength) {
            bad(`${tag}: names are 1 to ${AWS_TAG_LIMITS.nameLength} characters, values at most ${AWS_TAG_LIMITS.valueLength}`);
            return undefined;
        }
        if (key.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
            bad(`${tag}: names starting with "${RESERVED_TAG_PREFIX}" are reserved by AWS`);
            return undefined;
        }
    }
    if (entries.length > MAX_USER_TAGS) {
        bad(`at most ${MAX_USER_TAGS} tags (AWS allows ${AWS_TAG_LIMITS.perResource} per resource and the stack adds its own)`);
        return undefined;
    }
    return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * The visibility timeout AWS recommends for a queue that triggers Lambda: six times the function
 * timeout, plus the batching window during which received messages wait for the batch to fill.
 * It is also the delay before SQS delivers a failed record again.
 */
export function queueVisibilityTimeoutSeconds(
    settings: Pick<CallbackPatternSettings, "functionTimeoutSeconds" | "maxBatchingWindowSeconds">,
): number {
    return 6 * settings.functionTimeoutSeconds + settings.maxBatchingWindowSeconds;
}

/**
 * Combinations that are valid but probably not what was meant, and settings with a cost the user
 * should know of; the program prints each as a warning and deploys anyway. Values of keys set as
 * secrets are not shown, nor are figures computed from them.
 */
export function settingsWarnings(
    namespace: string,
    settings: CallbackPatternSettings,
    secretKeys: ReadonlySet<string> = new Set(),
): string[] {
    const warnings: string[] = [];
    // Whether a warning is printed says something of the values it compares: a check that involves a
    // secret is not made; a note that it was not made is printed instead, whatever the values.
    const secretAmong = (...keys: ConfigKey[]) => keys.filter((key) => secretKeys.has(key));
    const notChecked = (key: ConfigKey, secrets: ConfigKey[], advice: string) =>
        warnings.push(
            `${namespace}:${key} is not checked, since ${secrets.join(" and ")} ${secrets.length === 1 ? "is" : "are"} set as ` +
                `${secrets.length === 1 ? "a secret" : "secrets"}: ${advice}`,
        );
    const visibility = queueVisibilityTimeoutSeconds(settings);

    const redeliverySecrets = secretAmong("maxReceiveCount", "functionTimeoutSeconds", "maxBatchingWindowSeconds", "taskTimeoutSeconds");
    // A failed record comes back after `visibility` seconds, so delivery n arrives at about (n-1) × visibility.
    const lastDelivery = (settings.maxReceiveCount - 1) * visibility;
    if (redeliverySecrets.length > 0) {
        notChecked(
            "maxReceiveCount",
            redeliverySecrets,
            "make sure that (maxReceiveCount - 1) × (6 × functionTimeoutSeconds + maxBatchingWindowSeconds) is less than taskTimeoutSeconds, or the later deliveries of a failing message find the task timed out.",
        );
    } else if (lastDelivery >= settings.taskTimeoutSeconds) {
        warnings.push(
            `${namespace}:maxReceiveCount (${settings.maxReceiveCount}) deliveries of a failing message span ${lastDelivery} s ` +
                `(a redelivery every ${visibility} s, the queue's visibility timeout = 6 × functionTimeoutSeconds + maxBatchingWindowSeconds), ` +
                `not less than taskTimeoutSeconds (${settings.taskTimeoutSeconds}): the later deliveries find the task timed out.`,
        );
    }

    // A call that never answers is given up by the SDK after its attempts; a shorter function cuts it off sooner.
    const shortest = minimumFunctionTimeoutSeconds();
    const retries =
        `the SDK gives a Step Functions call that does not answer ${MAX_ATTEMPTS} attempts of ${REQUEST_TIMEOUT_MS / 1000} s, ${(stalledCallMs() / 1000).toFixed(2)} s in all, ` +
        `and the function stops a little before its timeout (functions/callback/deadline.ts): with less than ${shortest} s, such a call is cut off before its last attempts ` +
        "and its record goes back to the queue sooner than it needs to (throttled calls back off longer still, and are cut off at the deadline too).";
    if (secretKeys.has("functionTimeoutSeconds")) {
        notChecked("functionTimeoutSeconds", ["functionTimeoutSeconds"], `make sure it is at least ${shortest} s: ${retries}`);
    } else if (settings.functionTimeoutSeconds < shortest) {
        warnings.push(`${namespace}:functionTimeoutSeconds (${settings.functionTimeoutSeconds}) is less than ${shortest} s: ${retries}`);
    }

    const heartbeatSecrets = secretAmong("heartbeatSeconds", "functionTimeoutSeconds", "maxBatchingWindowSeconds");
    const heartbeatConsequence =
        "the function sends heartbeats while the work runs, but none while a message waits to be delivered again, so one failed delivery fails the task with a heartbeat timeout (caught as States.Timeout) and the execution fails after Notify Failure.";
    if (settings.heartbeatSeconds !== undefined) {
        if (heartbeatSecrets.length > 0) {
            notChecked(
                "heartbeatSeconds",
                heartbeatSecrets,
                `make sure it is longer than 6 × functionTimeoutSeconds + maxBatchingWindowSeconds, the delay before a failed message is delivered again: ${heartbeatConsequence}`,
            );
        } else if (settings.heartbeatSeconds <= visibility) {
            warnings.push(
                `${namespace}:heartbeatSeconds (${settings.heartbeatSeconds}) is not longer than the ${visibility} s before a failed message is delivered again: ` +
                    heartbeatConsequence,
            );
        }
    }

    const executionData =
        "the state machine's logs carry execution data: at logLevel ALL, every task token (the wait task's scheduled parameters hold it) " +
        "and every execution's input and output; at ERROR and FATAL, the input and output of what failed. Whoever can read the log group " +
        "learns what they hold, and with a token and states:SendTaskSuccess could answer a waiting task. Set it to false unless you are debugging.";
    if (secretKeys.has("includeExecutionData")) {
        warnings.push(`${namespace}:includeExecutionData is set as a secret; if it is true, ${executionData}`);
    } else if (settings.includeExecutionData) {
        warnings.push(`${namespace}:includeExecutionData is true: ${executionData}`);
    }
    return warnings;
}
