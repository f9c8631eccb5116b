/**
 * The stack's config keys, each declared once: its name, type, default, allowed range and what it
 * means. The settings' TypeScript type, the defaults, the validation (`infra/config.ts`), the local
 * run's reader (`local/stack-config.ts`) and the README's configuration table all follow from
 * {@link CONFIG}; docs/design-decisions.md says why this is TypeScript and not Pulumi.yaml's
 * `config:` block. Pure data: nothing here knows of Pulumi.
 */
import { executionTimeoutSeconds, MAX_TASK_TIMEOUT_SECONDS } from "./definition";

/** Step Functions log levels (`LoggingConfiguration.level`). */
export const LOG_LEVELS = ["ALL", "ERROR", "FATAL", "OFF"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The retention periods CloudWatch Logs accepts (`PutRetentionPolicy`), never-expire (0) excluded. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** AWS reserves tag names that start with this; `TagResource` rejects them. */
export const RESERVED_TAG_PREFIX = "aws:";
/**
 * Tag names AWS takes but the Pulumi SDK cannot carry to a resource (`@pulumi/pulumi`'s
 * `runtime/rpc.js`): it copies a map by assigning each name to a new object, where `__proto__` sets
 * the copy's prototype instead, so the tag vanishes without a word; and it writes each input into a
 * template string, which a map with a `toString` of its own makes throw, so the resource's outputs
 * are left unset and the program fails on an unrelated property ("Missing required property").
 */
export const TAG_NAMES_PULUMI_CANNOT_CARRY: readonly string[] = Object.freeze(["__proto__", "toString"]);
/** AWS's limits on a resource's tags: how many, and how long a name and a value may be. */
export const AWS_TAG_LIMITS = { perResource: 50, nameLength: 128, valueLength: 256 } as const;
/**
 * The punctuation a tag's name and value may hold besides letters, digits and spaces: IAM's rule
 * (`Tag` in the IAM API reference), the strictest of the services the stack tags, since every
 * taggable resource, both roles among them, gets the same tags. A tag outside it would fail
 * `CreateRole` halfway through `pulumi up`.
 */
export const AWS_TAG_PUNCTUATION = Object.freeze(["_", ".", ":", "/", "=", "+", "-", "@"] as const);
/** What a tag's name and value may hold: letters, separators and digits of any script, and {@link AWS_TAG_PUNCTUATION}. */
export const AWS_TAG_CHARACTERS = new RegExp(
    // Inside a class only "-" needs escaping (and a Unicode pattern refuses escapes it does not need).
    `^[\\p{L}\\p{Z}\\p{N}${AWS_TAG_PUNCTUATION.map((c) => (c === "-" ? "\\-" : c)).join("")}]*$`,
    "u",
);
/** The user's tags a stack takes: AWS's 50 per resource, less room for the stack's own (see index.ts). */
export const MAX_USER_TAGS = 45;

/**
 * Lambda's rule for an SQS event source mapping: a batch size over this needs a batching window of
 * at least 1 s (`CreateEventSourceMapping` refuses the pair otherwise).
 */
export const MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;

/** A whole number from `min` to `max` (and, with `oneOf`, one of those). */
export interface IntegerKey {
    type: "integer";
    min: number;
    max: number;
    /** The only values allowed within the range, when not every whole number is. */
    oneOf?: readonly number[];
    default?: number;
    /** What else is allowed or required, beyond the range (a rule that involves another key). */
    rule?: string;
    description: string;
}
/** One of a fixed set of words. */
export interface ChoiceKey<C extends string = string> {
    type: "choice";
    choices: readonly C[];
    default?: C;
    description: string;
}
/** `true` or `false`. */
export interface BooleanKey {
    type: "boolean";
    default?: boolean;
    description: string;
}
/** An email address. */
export interface EmailKey {
    type: "email";
    default?: string;
    description: string;
}
/** A map of tag names to values, within AWS's tag limits. */
export interface TagsKey {
    type: "tags";
    default?: Readonly<Record<string, string>>;
    description: string;
}
/** The ARN of an IAM managed policy. */
export interface PolicyArnKey {
    type: "policyArn";
    default?: string;
    description: string;
}
/** A config key's declaration; a key without `default` is optional and has no value when not set. */
export type KeyDeclaration = IntegerKey | ChoiceKey | BooleanKey | EmailKey | TagsKey | PolicyArnKey;

/**
 * Every key this program reads, in the order the README documents them. The `description` is the
 * README table's "Meaning" column, Markdown included; its links are relative to the README (the
 * pages in docs/ that the README links to).
 */
export const CONFIG = {
    taskTimeoutSeconds: {
        type: "integer",
        min: 1,
        max: MAX_TASK_TIMEOUT_SECONDS,
        default: 300,
        rule: `a year less the ${executionTimeoutSeconds(0)} s the execution's deadline adds`,
        description: "how long an execution waits for its callback before `States.Timeout`",
    },
    heartbeatSeconds: {
        type: "integer",
        min: 1,
        max: MAX_TASK_TIMEOUT_SECONDS - 1,
        rule: "and below `taskTimeoutSeconds`",
        description:
            "optional `HeartbeatSeconds` of the wait task: the callback must answer or call `SendTaskHeartbeat` within it (the function sends heartbeats while its work runs, see [Heartbeats](docs/callback-function.md#heartbeats); after a hand-off, the external process sends them)",
    },
    functionTimeoutSeconds: { type: "integer", min: 1, max: 900, default: 10, description: "callback function timeout" },
    functionMemoryMb: { type: "integer", min: 128, max: 10240, default: 256, description: "callback function memory" },
    batchSize: {
        type: "integer",
        min: 1,
        max: 10000,
        default: 10,
        rule: `over ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs \`maxBatchingWindowSeconds\` ≥ 1`,
        description: "records per invocation",
    },
    maxBatchingWindowSeconds: {
        type: "integer",
        min: 0,
        max: 300,
        default: 0,
        description: "how long the event source mapping gathers records",
    },
    maxReceiveCount: {
        type: "integer",
        min: 1,
        max: 1000,
        default: 5,
        description: "receives before a message moves to the dead-letter queue",
    },
    notificationEmail: { type: "email", description: "subscribes the address to the topic" },
    alarmEmail: { type: "email", description: "subscribes the address to the operations topic that the alarms notify" },
    logLevel: { type: "choice", choices: LOG_LEVELS, default: "ERROR", description: "what the state machine logs" },
    includeExecutionData: {
        type: "boolean",
        default: false,
        description: "whether state machine logs carry input and output (task tokens among them)",
    },
    logRetentionDays: {
        type: "integer",
        min: LOG_RETENTION_DAYS[0],
        max: LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1],
        oneOf: LOG_RETENTION_DAYS,
        default: 30,
        description: "retention of every log group (the periods CloudWatch Logs offers)",
    },
    tags: {
        type: "tags",
        // Frozen: every stack's settings get a copy (parseSettings), none may change the default itself.
        default: Object.freeze({}),
        description: "tags on every taggable resource (`pulumi config set --path callback-pattern:tags.team platform`)",
    },
    permissionsBoundaryArn: {
        type: "policyArn",
        description:
            "the permissions boundary of both roles the stack creates; with it, the deploy policy lets the deploying identity create roles only with that boundary (see [Deploying identity](docs/permissions.md#deploying-identity))",
    },
} as const satisfies Record<string, KeyDeclaration>;

type Config = typeof CONFIG;

/** A config key of this program. */
export type ConfigKey = keyof Config;

/** Every key, in the order of the declaration. */
export const CONFIG_KEYS: readonly ConfigKey[] = Object.freeze(Object.keys(CONFIG) as ConfigKey[]);

/** The value a declaration stands for. */
type ValueOf<D> = D extends { type: "integer" }
    ? number
    : D extends { type: "choice"; choices: readonly (infer C)[] }
      ? C
      : D extends { type: "boolean" }
        ? boolean
        : D extends { type: "tags" }
          ? Record<string, string>
          : string;

/** The keys declared with a default: a setting always has a value for them. */
type KeysWithDefault = { [K in ConfigKey]: Config[K] extends { default: unknown } ? K : never }[ConfigKey];

/** The settings the stack is built from, after validation; see {@link CONFIG} for what each means. */
export type CallbackPatternSettings = { -readonly [K in KeysWithDefault]: ValueOf<Config[K]> } & {
    -readonly [K in Exclude<ConfigKey, KeysWithDefault>]?: ValueOf<Config[K]>;
};

/** What a key that is not set stands for: the declared defaults. */
export const DEFAULT_SETTINGS: Readonly<CallbackPatternSettings> = Object.freeze(
    Object.fromEntries(
        CONFIG_KEYS.flatMap((key) => {
            const declared: KeyDeclaration = CONFIG[key];
            return declared.default === undefined ? [] : [[key, declared.default]];
        }),
    ) as CallbackPatternSettings,
);

/** The declaration of `key`, typed as any declaration (for code that handles every kind). */
export function declarationOf(key: ConfigKey): KeyDeclaration {
    return CONFIG[key];
}
