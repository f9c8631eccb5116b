import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
    CONFIG_KEYS,
    ConfigError,
    DEFAULT_SETTINGS,
    AWS_TAG_LIMITS,
    MAX_USER_TAGS,
    parseSettings,
    queueVisibilityTimeoutSeconds,
    settingsWarnings,
    type CallbackPatternSettings,
} from "../infra/config";
import { MAX_ATTEMPTS, minimumFunctionTimeoutSeconds } from "../functions/callback/client-settings";
import { MAX_TASK_TIMEOUT_SECONDS } from "../infra/definition";
import { loadStackSettings } from "../local/stack-config";

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

describe("stack configuration", () => {
    it("uses the documented defaults when nothing is set", () => {
        assert.deepEqual(parseSettings(NS, {}), DEFAULT_SETTINGS);
        assert.equal(DEFAULT_SETTINGS.taskTimeoutSeconds, 300);
        assert.equal(DEFAULT_SETTINGS.maxReceiveCount, 5);
        assert.equal(DEFAULT_SETTINGS.logLevel, "ERROR");
        assert.equal(DEFAULT_SETTINGS.includeExecutionData, false);
    });

    it("the config namespace is the project name in Pulumi.yaml", () => {
        const project = parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as {
            name: string;
            runtime: { name: string };
        };
        assert.equal(project.name, NS);
        assert.equal(project.runtime.name, "nodejs");
    });

    it("Pulumi.dev.yaml sets aws:region and shows every key with its default", () => {
        const { settings, config } = loadStackSettings("dev");
        assert.equal(typeof config.region, "string");
        assert.deepEqual(settings, DEFAULT_SETTINGS);
        const file = fs.readFileSync(config.file, "utf8");
        for (const key of CONFIG_KEYS) {
            assert.match(file, new RegExp(`${NS}:${key}:`), `Pulumi.dev.yaml does not mention ${key}`);
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

    const rejected: [string, Record<string, string>, RegExp][] = [
        [
            "a word for a number",
            { taskTimeoutSeconds: "five" },
            new RegExp(`taskTimeoutSeconds is "five": must be a whole number from 1 to ${MAX_TASK_TIMEOUT_SECONDS}`),
        ],
        ["a fraction", { functionTimeoutSeconds: "1.5" }, /functionTimeoutSeconds is "1.5": must be a whole number from 1 to 900/],
        ["a one-year task timeout", { taskTimeoutSeconds: "31536000" }, /taskTimeoutSeconds is "31536000"/],
        ["a zero task timeout", { taskTimeoutSeconds: "0" }, /taskTimeoutSeconds is "0"/],
        ["a function timeout over Lambda's 900 s", { functionTimeoutSeconds: "901" }, /functionTimeoutSeconds is "901"/],
        ["memory under 128 MB", { functionMemoryMb: "64" }, /functionMemoryMb is "64": must be a whole number from 128 to 10240/],
        ["a batch size of 0", { batchSize: "0" }, /batchSize is "0": must be a whole number from 1 to 10000/],
        ["a batching window over 300 s", { maxBatchingWindowSeconds: "301" }, /maxBatchingWindowSeconds is "301"/],
        ["a negative receive count", { maxReceiveCount: "-1" }, /maxReceiveCount is "-1": must be a whole number from 1 to 1000/],
        [
            "a heartbeat equal to the timeout",
            { taskTimeoutSeconds: "60", heartbeatSeconds: "60" },
            /heartbeatSeconds is "60": must be smaller than callback-pattern:taskTimeoutSeconds \(60\)/,
        ],
        [
            "a heartbeat above the default timeout",
            { heartbeatSeconds: "301" },
            /heartbeatSeconds is "301": must be smaller than callback-pattern:taskTimeoutSeconds \(300\)/,
        ],
        [
            "a batch over 10 without a window",
            { batchSize: "11" },
            /batchSize is "11": a batch size over 10 needs callback-pattern:maxBatchingWindowSeconds of at least 1/,
        ],
        ["a malformed email", { notificationEmail: "ops@example" }, /notificationEmail is "ops@example": must be an email address/],
        ["a malformed alarm email", { alarmEmail: "oncall" }, /alarmEmail is "oncall": must be an email address/],
        ["an unknown log level", { logLevel: "DEBUG" }, /logLevel is "DEBUG": must be one of ALL, ERROR, FATAL, OFF/],
        ["a lower-case log level", { logLevel: "error" }, /logLevel is "error"/],
        ["a boolean that is not one", { includeExecutionData: "yes" }, /includeExecutionData is "yes": must be true or false/],
        // An object's own properties are no booleans: a lookup table answered "constructor" with a function.
        ["a boolean named like an object's property", { includeExecutionData: "constructor" }, /includeExecutionData is "constructor"/],
        [
            "a retention CloudWatch does not offer",
            { logRetentionDays: "10" },
            /logRetentionDays is "10": must be one of 1, 3, 5, 7, 14, 30/,
        ],
        ["never-expiring logs", { logRetentionDays: "0" }, /logRetentionDays is "0"/],
        ["tags that are not a map", { tags: "[1,2]" }, /tags is "\[1,2\]": must be a map of tag names to string values/],
        ["tags that are not JSON", { tags: "team=platform" }, /tags is "team=platform": must be a map/],
        ["a tag with a number value", { tags: '{"tier":1}' }, /tag "tier" must have a string value/],
        ["a tag AWS reserves", { tags: '{"aws:owner":"me"}' }, /tag "aws:owner": names starting with "aws:" are reserved/],
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
            const warnings = settingsWarnings(NS, { ...DEFAULT_SETTINGS, functionTimeoutSeconds: 30 });
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
            const warnings = settingsWarnings(NS, { ...DEFAULT_SETTINGS, heartbeatSeconds: 60 });
            assert.equal(warnings.length, 1);
            assert.match(
                warnings[0],
                /^callback-pattern:heartbeatSeconds \(60\) is not longer than the 60 s .* heartbeat timeout \(caught as States.Timeout\)/,
            );
            assert.deepEqual(settingsWarnings(NS, { ...DEFAULT_SETTINGS, heartbeatSeconds: 61 }), []);
        });
    });
});
