import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
    AWS_TAG_LIMITS,
    CONFIG,
    CONFIG_KEYS,
    ConfigError,
    DEFAULT_SETTINGS,
    LOG_LEVELS,
    LOG_RETENTION_DAYS,
    MAX_BATCH_SIZE_WITHOUT_WINDOW,
    MAX_USER_TAGS,
    parseSettings,
    queueVisibilityTimeoutSeconds,
    readValue,
    settingsWarnings,
    type CallbackPatternSettings,
    type ConfigKey,
} from "../infra/config";
import { declarationOf } from "../infra/config-keys";
import { MAX_ATTEMPTS, minimumFunctionTimeoutSeconds } from "../functions/callback/client-settings";
import { loadStackSettings, parseConfigKey } from "../local/stack-config";

const NS = "callback-pattern";

/** The problems parseSettings reports for `raw`; fails when it accepts it. */
function problemsOf(raw: Record<string, string>): readonly string[] {
    try {
        parseSettings(NS, raw);
    } catch (error) {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        return error.problems;
    }
    assert.fail(`accepted ${JSON.stringify(raw)}`);
}

const ROOT = path.join(__dirname, "..");

/** A key's whole-number range, as its declaration has it. */
function rangeOf(key: ConfigKey): { min: number; max: number } {
    const declared = declarationOf(key);
    assert.equal(declared.type, "integer", `${key} is not a whole number`);
    return declared as { min: number; max: number };
}

describe("stack configuration", () => {
    describe("the declaration (infra/config-keys.ts)", () => {
        it("a key not set stands for its declared default; a key declared without one is absent", () => {
            const settings: Record<string, unknown> = parseSettings(NS, {});
            assert.deepEqual(settings, DEFAULT_SETTINGS);
            for (const key of CONFIG_KEYS) {
                const declared = declarationOf(key);
                if (declared.default === undefined) assert.ok(!(key in settings), key);
                else assert.deepEqual(settings[key], declared.default, key);
            }
        });

        it("every default is a value its own key accepts, written as a stack file would hold it", () => {
            for (const key of CONFIG_KEYS) {
                const declared = declarationOf(key);
                if (declared.default === undefined) continue;
                const text = typeof declared.default === "object" ? JSON.stringify(declared.default) : String(declared.default);
                assert.deepEqual(readValue(declared, text, false), { value: declared.default }, key);
            }
        });

        it("each parse gets its own tags map: changing one stack's settings does not change the default", () => {
            const settings = parseSettings(NS, {});
            settings.tags.team = "platform";
            assert.deepEqual(parseSettings(NS, {}).tags, {});
            assert.deepEqual(DEFAULT_SETTINGS.tags, CONFIG.tags.default);
        });
    });

    it("the config namespace is the project name in Pulumi.yaml, which declares none of the keys again", () => {
        const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
            name: string;
            runtime: { name: string };
            config?: Record<string, unknown>;
        };
        assert.equal(project.name, NS);
        assert.equal(project.runtime.name, "nodejs");
        // A default there would be a second one: Pulumi would apply it before the program sees the key.
        const declaredThere = Object.keys(project.config ?? {}).filter((key) => (parseConfigKey(key)?.namespace ?? NS) === NS);
        assert.deepEqual(declaredThere, []);
    });

    it("Pulumi.dev.yaml sets aws:region and only what differs for dev, each a declared key, valid, and without warnings", () => {
        const { config, warnings } = loadStackSettings("dev");
        assert.equal(typeof config.region, "string");
        assert.deepEqual(warnings, []);
        const defaults: Record<string, unknown> = DEFAULT_SETTINGS;
        for (const [key, text] of Object.entries(config.raw)) {
            assert.ok((CONFIG_KEYS as readonly string[]).includes(key), `${key} is not declared`);
            const read = readValue(declarationOf(key as ConfigKey), text, false);
            assert.ok("value" in read, `${key}: ${JSON.stringify(read)}`);
            assert.notDeepEqual(read.value, defaults[key], `Pulumi.dev.yaml repeats the default of ${key}`);
        }
    });

    it("reads every key", () => {
        const settings = parseSettings(NS, {
            taskTimeoutSeconds: "3600",
            heartbeatSeconds: "60",
            functionTimeoutSeconds: "60",
            functionMemoryMb: "512",
            batchSize: "100",
            maxBatchingWindowSeconds: "5",
            maxReceiveCount: "3",
            notificationEmail: "ops@example.com",
            alarmEmail: "oncall@example.com",
            logLevel: "ALL",
            includeExecutionData: "true",
            logRetentionDays: "90",
            tags: JSON.stringify({ team: "platform", "cost-center": "42" }),
            permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/boundaries/deploy-boundary",
        });
        const expected: CallbackPatternSettings = {
            taskTimeoutSeconds: 3600,
            heartbeatSeconds: 60,
            functionTimeoutSeconds: 60,
            functionMemoryMb: 512,
            batchSize: 100,
            maxBatchingWindowSeconds: 5,
            maxReceiveCount: 3,
            notificationEmail: "ops@example.com",
            alarmEmail: "oncall@example.com",
            logLevel: "ALL",
            includeExecutionData: true,
            logRetentionDays: 90,
            tags: { team: "platform", "cost-center": "42" },
            permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/boundaries/deploy-boundary",
        };
        assert.deepEqual(settings, expected);
    });

    /** "must be a whole number from MIN to MAX", with `key`'s declared range. */
    const wholeNumber = (key: ConfigKey) => `must be a whole number from ${rangeOf(key).min} to ${rangeOf(key).max}`;
    /** Just past `key`'s declared range: one more than its maximum. */
    const aboveRange = (key: ConfigKey) => String(rangeOf(key).max + 1);
    /** Just short of `key`'s declared range: one less than its minimum. */
    const belowRange = (key: ConfigKey) => String(rangeOf(key).min - 1);
    const defaultTimeout = DEFAULT_SETTINGS.taskTimeoutSeconds;
    const rejected: [string, Record<string, string>, RegExp][] = [
        [
            "a word for a number",
            { taskTimeoutSeconds: "five" },
            new RegExp(`taskTimeoutSeconds is "five": ${wholeNumber("taskTimeoutSeconds")}`),
        ],
        [
            "a fraction",
            { functionTimeoutSeconds: "1.5" },
            new RegExp(`functionTimeoutSeconds is "1.5": ${wholeNumber("functionTimeoutSeconds")}`),
        ],
        ["a one-year task timeout", { taskTimeoutSeconds: "31536000" }, /taskTimeoutSeconds is "31536000"/],
        ["a task timeout past the range", { taskTimeoutSeconds: aboveRange("taskTimeoutSeconds") }, /taskTimeoutSeconds is "\d+"/],
        ["a zero task timeout", { taskTimeoutSeconds: "0" }, /taskTimeoutSeconds is "0"/],
        ["a function timeout over Lambda's 900 s", { functionTimeoutSeconds: "901" }, /functionTimeoutSeconds is "901"/],
        [
            "memory under Lambda's smallest",
            { functionMemoryMb: belowRange("functionMemoryMb") },
            new RegExp(`functionMemoryMb is "${belowRange("functionMemoryMb")}": ${wholeNumber("functionMemoryMb")}`),
        ],
        ["memory over Lambda's largest", { functionMemoryMb: aboveRange("functionMemoryMb") }, /functionMemoryMb is "\d+"/],
        ["a batch size of 0", { batchSize: "0" }, new RegExp(`batchSize is "0": ${wholeNumber("batchSize")}`)],
        ["a batching window over 300 s", { maxBatchingWindowSeconds: "301" }, /maxBatchingWindowSeconds is "301"/],
        ["a negative receive count", { maxReceiveCount: "-1" }, new RegExp(`maxReceiveCount is "-1": ${wholeNumber("maxReceiveCount")}`)],
        [
            "a heartbeat equal to the timeout",
            { taskTimeoutSeconds: "60", heartbeatSeconds: "60" },
            /heartbeatSeconds is "60": must be smaller than callback-pattern:taskTimeoutSeconds \(60\)/,
        ],
        [
            "a heartbeat above the default timeout",
            { heartbeatSeconds: String(defaultTimeout + 1) },
            new RegExp(
                `heartbeatSeconds is "${defaultTimeout + 1}": must be smaller than callback-pattern:taskTimeoutSeconds \\(${defaultTimeout}\\)`,
            ),
        ],
        [
            "a batch over what needs no window, without a window",
            { batchSize: String(MAX_BATCH_SIZE_WITHOUT_WINDOW + 1), maxBatchingWindowSeconds: "0" },
            new RegExp(
                `batchSize is "${MAX_BATCH_SIZE_WITHOUT_WINDOW + 1}": a batch size over ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs callback-pattern:maxBatchingWindowSeconds of at least 1`,
            ),
        ],
        ["a malformed email", { notificationEmail: "ops@example" }, /notificationEmail is "ops@example": must be an email address/],
        ["a malformed alarm email", { alarmEmail: "oncall" }, /alarmEmail is "oncall": must be an email address/],
        ["an unknown log level", { logLevel: "DEBUG" }, new RegExp(`logLevel is "DEBUG": must be one of ${LOG_LEVELS.join(", ")}\\.$`)],
        ["a lower-case log level", { logLevel: "error" }, /logLevel is "error"/],
        ["a boolean that is not one", { includeExecutionData: "yes" }, /includeExecutionData is "yes": must be true or false/],
        // An object's own properties are no booleans: a lookup table answered "constructor" with a function.
        ["a boolean named like an object's property", { includeExecutionData: "constructor" }, /includeExecutionData is "constructor"/],
        [
            "a retention CloudWatch does not offer",
            { logRetentionDays: "10" },
            new RegExp(`logRetentionDays is "10": must be one of ${LOG_RETENTION_DAYS.join(", ")}\\.$`),
        ],
        ["never-expiring logs", { logRetentionDays: "0" }, /logRetentionDays is "0"/],
        ["tags that are not a map", { tags: "[1,2]" }, /tags is "\[1,2\]": must be a map of tag names to string values/],
        ["tags that are not JSON", { tags: "team=platform" }, /tags is "team=platform": must be a map/],
        // `pulumi config set --path` stores a whole number, true and false as such: the message says how to store text.
        [
            "a tag with a number value",
            { tags: '{"tier":1}' },
            /tag "tier" must have a string value: .*`pulumi config set --path --type string callback-pattern:tags\.tier 1`/,
        ],
        [
            "a boolean tag whose name is no plain word",
            { tags: '{"on.call":true}' },
            /tag "on\.call" must have a string value: .*`pulumi config set --path --type string 'callback-pattern:tags\["on\.call"\]' true`/,
        ],
        ["a tag AWS reserves", { tags: '{"aws:owner":"me"}' }, /tag "aws:owner": names starting with "aws:" are reserved/],
        // IAM refuses CreateRole with such a tag, after the stack has created what it made before the roles.
        ["a tag value with a character IAM refuses", { tags: '{"dept":"R&D"}' }, /tag "dept": names and values may hold only letters/],
        ["a tag name with a character IAM refuses", { tags: '{"cost(center)":"1"}' }, /tag "cost\(center\)": names and values/],
        // JSON.parse makes __proto__ an own name; the SDK's serializer would drop it (tests/stack.test.ts).
        ["a tag named __proto__", { tags: '{"__proto__":"me"}' }, /tag "__proto__": the Pulumi SDK cannot carry/],
        // The SDK writes each input into a template string: a map with its own toString makes that throw.
        ["a tag named toString", { tags: '{"team":"a","toString":"me"}' }, /tag "toString": the Pulumi SDK cannot carry/],
        [
            "a tag value longer than AWS takes",
            { tags: JSON.stringify({ note: "v".repeat(AWS_TAG_LIMITS.valueLength + 1) }) },
            new RegExp(`tag "note": names are 1 to ${AWS_TAG_LIMITS.nameLength} characters, values at most ${AWS_TAG_LIMITS.valueLength}`),
        ],
        [
            "a tag name longer than AWS takes",
            { tags: JSON.stringify({ ["n".repeat(AWS_TAG_LIMITS.nameLength + 1)]: "v" }) },
            new RegExp(`names are 1 to ${AWS_TAG_LIMITS.nameLength} characters`),
        ],
        [
            "more tags than leave room for the stack's own",
            { tags: JSON.stringify(Object.fromEntries(Array.from({ length: MAX_USER_TAGS + 1 }, (_, i) => [`t${i}`, "v"]))) },
            new RegExp(`at most ${MAX_USER_TAGS} tags`),
        ],
        ["a misspelt key", { taskTimeout: "60" }, /callback-pattern:taskTimeout is not a setting of this program/],
        [
            "a role ARN for a boundary",
            { permissionsBoundaryArn: "arn:aws:iam::123456789012:role/admin" },
            /permissionsBoundaryArn is "arn:aws:iam::123456789012:role\/admin": must be the ARN of an IAM managed policy/,
        ],
        ["a policy name for a boundary", { permissionsBoundaryArn: "deploy-boundary" }, /permissionsBoundaryArn is "deploy-boundary"/],
    ];
    for (const [what, raw, message] of rejected) {
        it(`rejects ${what}, naming the key, the value and what is allowed`, () => {
            const problems = problemsOf(raw);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], message);
            assert.ok(problems[0].startsWith(`${NS}:`), problems[0]);
        });
    }

    it("takes tags of any language's letters and digits, and the punctuation IAM allows, counting characters as AWS does", () => {
        const tags = {
            "Zürich Büro": "東京 ١٢٣",
            "a_b.c:d/e=f+g-h@i": "",
            // Letters outside the Basic Multilingual Plane: one character each for AWS, two UTF-16 units for JavaScript.
            ["𠀀".repeat(AWS_TAG_LIMITS.nameLength)]: "𠀀".repeat(AWS_TAG_LIMITS.valueLength),
        };
        assert.deepEqual(parseSettings(NS, { tags: JSON.stringify(tags) }).tags, tags);
    });

    it("reports every bad key in one message", () => {
        try {
            parseSettings(NS, { batchSize: "x", logLevel: "LOUD", maxReceiveCount: "0" });
            assert.fail("accepted bad config");
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            assert.equal(error.problems.length, 3);
            assert.match(error.message, /^Invalid stack configuration \(3 problems\):\n/);
            for (const key of ["batchSize", "logLevel", "maxReceiveCount"]) assert.match(error.message, new RegExp(`- ${NS}:${key} is`));
        }
    });

    describe("derived values and warnings", () => {
        it("derives the queue's visibility timeout as 6 × function timeout + batching window", () => {
            assert.equal(queueVisibilityTimeoutSeconds({ functionTimeoutSeconds: 10, maxBatchingWindowSeconds: 0 }), 60);
            assert.equal(queueVisibilityTimeoutSeconds({ functionTimeoutSeconds: 900, maxBatchingWindowSeconds: 300 }), 5700);
        });

        it("the defaults deliver a failing message maxReceiveCount times before the task times out", () => {
            assert.deepEqual(settingsWarnings(NS, DEFAULT_SETTINGS), []);
            const lastDelivery = (DEFAULT_SETTINGS.maxReceiveCount - 1) * queueVisibilityTimeoutSeconds(DEFAULT_SETTINGS);
            assert.ok(lastDelivery < DEFAULT_SETTINGS.taskTimeoutSeconds);
        });

        it("warns when redeliveries would come after the task timed out", () => {
            // The figures are this test's own: 5 deliveries, 6 × 30 s apart, against a 300 s task.
            const settings = {
                ...DEFAULT_SETTINGS,
                maxReceiveCount: 5,
                functionTimeoutSeconds: 30,
                maxBatchingWindowSeconds: 0,
                taskTimeoutSeconds: 300,
            };
            const warnings = settingsWarnings(NS, settings);
            assert.equal(warnings.length, 1);
            assert.match(
                warnings[0],
                /^callback-pattern:maxReceiveCount \(5\) deliveries of a failing message span 720 s .* not less than taskTimeoutSeconds \(300\)/,
            );
        });

        it("warns when the function timeout is too short for a stalled call's retries, and only then", () => {
            const shortest = minimumFunctionTimeoutSeconds();
            assert.ok(DEFAULT_SETTINGS.functionTimeoutSeconds >= shortest, "the default fits");
            const warnings = settingsWarnings(NS, { ...DEFAULT_SETTINGS, functionTimeoutSeconds: shortest - 1 });
            assert.equal(warnings.length, 1);
            assert.match(
                warnings[0],
                new RegExp(
                    `^callback-pattern:functionTimeoutSeconds \\(${shortest - 1}\\) is less than ${shortest} s: the SDK gives a Step Functions call that does not answer ${MAX_ATTEMPTS} attempts`,
                ),
            );
            assert.deepEqual(settingsWarnings(NS, { ...DEFAULT_SETTINGS, functionTimeoutSeconds: shortest }), []);
            // Set as a secret, it is not compared: a note says what to make sure of, whatever the value.
            const notes = settingsWarnings(NS, { ...DEFAULT_SETTINGS, functionTimeoutSeconds: 3 }, new Set(["functionTimeoutSeconds"]));
            assert.ok(
                notes.some((note) =>
                    note.startsWith(
                        `${NS}:functionTimeoutSeconds is not checked, since functionTimeoutSeconds is set as a secret: make sure it is at least ${shortest} s`,
                    ),
                ),
            );
            assert.ok(notes.every((note) => !/\(3\)/.test(note)));
        });

        it("warns when a heartbeat would expire before a failed message comes back", () => {
            const redelivery = queueVisibilityTimeoutSeconds(DEFAULT_SETTINGS);
            const warnings = settingsWarnings(NS, { ...DEFAULT_SETTINGS, heartbeatSeconds: redelivery });
            assert.equal(warnings.length, 1);
            assert.match(
                warnings[0],
                new RegExp(
                    `^callback-pattern:heartbeatSeconds \\(${redelivery}\\) is not longer than the ${redelivery} s .* heartbeat timeout \\(caught as States.Timeout\\)`,
                ),
            );
            assert.deepEqual(settingsWarnings(NS, { ...DEFAULT_SETTINGS, heartbeatSeconds: redelivery + 1 }), []);
        });
    });
});
