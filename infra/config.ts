/**
 * Stack configuration: the validation that turns raw config strings into typed settings, by the
 * keys' declaration (`infra/config-keys.ts`: names, types, defaults, ranges), and the warnings for
 * valid settings that are probably mistakes. Pure: it knows nothing of Pulumi, so that it can be
 * tested without a program and reused by tools that read `Pulumi.<stack>.yaml` themselves.
 */
import { MAX_ATTEMPTS, minimumFunctionTimeoutSeconds, REQUEST_TIMEOUT_MS, stalledCallMs } from "../functions/callback/client-settings";
import {
    AWS_TAG_CHARACTERS,
    AWS_TAG_LIMITS,
    AWS_TAG_PUNCTUATION,
    CONFIG_KEYS,
    declarationOf,
    MAX_BATCH_SIZE_WITHOUT_WINDOW,
    MAX_USER_TAGS,
    RESERVED_TAG_PREFIX,
    TAG_NAMES_PULUMI_CANNOT_CARRY,
    type CallbackPatternSettings,
    type ConfigKey,
    type KeyDeclaration,
} from "./config-keys";

// The declaration is the one place a key's facts live; it is re-exported for the code and tests
// that import the settings' names from here.
export * from "./config-keys";

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

/** An IAM managed policy's ARN (customer managed or AWS managed), with an optional path. */
export const MANAGED_POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

// A pragmatic address check (what SNS accepts is looser, but a typo should not reach AWS).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A value read from its text, or what is allowed instead. */
type Read = { value: unknown } | { allowed: string };

/**
 * Reads one key's text as its declaration says. `secret` only changes how the tags' messages name
 * a tag (by position, not by name); `key` is the key as a command that sets it names it.
 */
export function readValue(declared: KeyDeclaration, text: string, secret: boolean, key = "tags"): Read {
    switch (declared.type) {
        case "integer": {
            const trimmed = text.trim();
            const parsed = /^-?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
            if (!Number.isSafeInteger(parsed) || parsed < declared.min || parsed > declared.max) {
                return { allowed: `must be a whole number from ${declared.min} to ${declared.max}` };
            }
            if (declared.oneOf !== undefined && !declared.oneOf.includes(parsed)) {
                return { allowed: `must be one of ${declared.oneOf.join(", ")}` };
            }
            return { value: parsed };
        }
        case "choice":
            return declared.choices.includes(text) ? { value: text } : { allowed: `must be one of ${declared.choices.join(", ")}` };
        case "boolean":
            // A comparison, not a lookup in `{ true: true, false: false }`: that object also answers "constructor".
            return text === "true" ? { value: true } : text === "false" ? { value: false } : { allowed: "must be true or false" };
        case "email":
            return EMAIL.test(text) ? { value: text } : { allowed: "must be an email address such as ops@example.com" };
        case "policyArn":
            return MANAGED_POLICY_ARN.test(text)
                ? { value: text }
                : { allowed: "must be the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/deploy-boundary" };
        case "tags":
            return readTags(text, secret, key);
    }
}

/**
 * Validates raw config values (key without namespace → the string Pulumi holds) and returns the
 * settings, or throws a {@link ConfigError} naming every bad key, its value and what is allowed.
 * The value of a key set as a secret is never shown, nor is it shown where another key's message
 * would quote it. Each key is read as {@link CONFIG} declares it; the rules that involve two keys
 * follow.
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

    // Each key: its value when set and valid, its default when not set, and nothing when invalid.
    const settings: Record<string, unknown> = {};
    const invalid = new Set<ConfigKey>();
    for (const key of CONFIG_KEYS) {
        const declared = declarationOf(key);
        const text = Object.hasOwn(raw, key) ? raw[key] : undefined;
        if (text === undefined) {
            // A fresh copy of an object default: a caller that changes its settings must not change the default.
            if (declared.default !== undefined) settings[key] = structuredClone(declared.default);
            continue;
        }
        const read = readValue(declared, text, secret(key), name(key));
        if ("allowed" in read) {
            bad(key, text, read.allowed);
            invalid.add(key);
        } else {
            settings[key] = read.value;
        }
    }
    const number = (key: ConfigKey) => (invalid.has(key) ? undefined : (settings[key] as number | undefined));

    // The rules that involve two keys, checked when both values are valid.
    const heartbeatSeconds = number("heartbeatSeconds");
    const taskTimeoutSeconds = number("taskTimeoutSeconds");
    if (heartbeatSeconds !== undefined && taskTimeoutSeconds !== undefined && heartbeatSeconds >= taskTimeoutSeconds) {
        bad(
            "heartbeatSeconds",
            String(raw.heartbeatSeconds),
            `must be smaller than ${name("taskTimeoutSeconds")} (${quote("taskTimeoutSeconds", taskTimeoutSeconds)})`,
        );
    }
    const batchSize = number("batchSize");
    const maxBatchingWindowSeconds = number("maxBatchingWindowSeconds");
    if (
        batchSize !== undefined &&
        batchSize > MAX_BATCH_SIZE_WITHOUT_WINDOW &&
        maxBatchingWindowSeconds !== undefined &&
        maxBatchingWindowSeconds < 1
    ) {
        bad(
            "batchSize",
            String(raw.batchSize),
            `a batch size over ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs ${name("maxBatchingWindowSeconds")} of at least 1 (it is ${quote("maxBatchingWindowSeconds", maxBatchingWindowSeconds)})`,
        );
    }

    if (problems.length > 0) throw new ConfigError(problems);
    // Every key with a default has a value here (a missing one would have added a problem above).
    return settings as CallbackPatternSettings;
}

/**
 * Reads the `tags` map (`key`: the key as `pulumi config set` names it); a secret map's messages
 * name tags by position, not by name, and quote no value.
 */
function readTags(text: string, secret: boolean, key: string): Read {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        return {
            allowed: `must be a map of tag names to string values (set it with \`pulumi config set --path ${key}.team platform\`)`,
        };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        return { allowed: "must be a map of tag names to string values" };
    }
    const entries = Object.entries(parsed);
    for (const [index, [name, tagValue]] of entries.entries()) {
        const tag = secret ? `tag #${index + 1}` : `tag ${JSON.stringify(name)}`;
        if (typeof tagValue !== "string") return { allowed: `${tag} must have a string value${storedAsText(key, secret, name, tagValue)}` };
        // AWS counts characters (code points); a string's length counts UTF-16 units.
        const nameLength = [...name].length;
        if (nameLength < 1 || nameLength > AWS_TAG_LIMITS.nameLength || [...tagValue].length > AWS_TAG_LIMITS.valueLength) {
            return {
                allowed: `${tag}: names are 1 to ${AWS_TAG_LIMITS.nameLength} characters, values at most ${AWS_TAG_LIMITS.valueLength}`,
            };
        }
        if (!AWS_TAG_CHARACTERS.test(name) || !AWS_TAG_CHARACTERS.test(tagValue)) {
            return { allowed: `${tag}: names and values may hold only letters, digits, spaces and ${AWS_TAG_PUNCTUATION.join(" ")}` };
        }
        if (TAG_NAMES_PULUMI_CANNOT_CARRY.includes(name)) {
            return {
                allowed: `${tag}: the Pulumi SDK cannot carry a tag named ${TAG_NAMES_PULUMI_CANNOT_CARRY.map((n) => JSON.stringify(n)).join(" or ")} to a resource; use another name`,
            };
        }
        if (name.toLowerCase().startsWith(RESERVED_TAG_PREFIX)) {
            return { allowed: `${tag}: names starting with "${RESERVED_TAG_PREFIX}" are reserved by AWS` };
        }
    }
    if (entries.length > MAX_USER_TAGS) {
        return {
            allowed: `at most ${MAX_USER_TAGS} tags (AWS allows ${AWS_TAG_LIMITS.perResource} per resource and the stack adds its own)`,
        };
    }
    return { value: Object.fromEntries(entries) as Record<string, string> };
}

/**
 * How to store a tag's number or boolean as text: `pulumi config set --path` stores a whole number,
 * `true` and `false` as such, unless told `--type string`. Nothing to add for other values (a map,
 * a list, null: not what a tag holds); placeholders instead of a secret map's name and value.
 */
function storedAsText(key: string, secret: boolean, name: string, value: unknown): string {
    if (typeof value !== "number" && typeof value !== "boolean") return "";
    const [tagName, tagValue] = secret ? ["NAME", "VALUE"] : [name, String(value)];
    // A name that is not a plain word takes the path's ["…"] form, quoted for the shell.
    const path = /^[\w-]+$/.test(tagName) ? `${key}.${tagName}` : `'${key}[${JSON.stringify(tagName)}]'`;
    const flags = secret ? "--path --secret --type string" : "--path --type string";
    return `: \`pulumi config set --path\` stores a whole number, true and false as such; store it as text with \`pulumi config set ${flags} ${path} ${tagValue}\``;
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
