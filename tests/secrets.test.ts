/**
 * Config values set as secrets (`pulumi config set --secret`) reach every resource built from them
 * as Pulumi secrets, and no message (error or warning) shows them.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, DEFAULT_SETTINGS, MAX_BATCH_SIZE_WITHOUT_WINDOW, queueVisibilityTimeoutSeconds } from "../infra/config";
import { MockRecorder, runProgram, valueOf } from "./mocks";

const STACK = "prod";

/** A secret input as the mocks receive it: wrapped, with the value inside. */
const unwrap = (value: unknown): unknown =>
    typeof value === "object" && value !== null && "value" in value && Object.keys(value).length === 2
        ? (value as { value: unknown }).value
        : value;

/** Runs the program with `config`, every key of it set as a secret; returns "resource.property" of each secret input. */
async function secretInputsWith(config: Record<string, string>, secretKeys = Object.keys(config)): Promise<string[]> {
    const { recorder } = await runProgram(config, STACK, undefined, undefined, secretKeys);
    return recorder.resources.flatMap((r) => r.secretInputs.map((input) => `${r.name}.${input}`)).sort();
}

/** What each setting reaches: the resource inputs built from it. */
const REACHES: [key: string, value: string, inputs: string[]][] = [
    ["taskTimeoutSeconds", "900", ["callback-workflow-state-machine.definition", `callback-alarms-${STACK}-oldest-message-age.threshold`]],
    ["heartbeatSeconds", "60", ["callback-callback-function.environment", "callback-workflow-state-machine.definition"]],
    ["functionTimeoutSeconds", "20", ["callback-callback-function.timeout", "callback-tasks-queue.visibilityTimeoutSeconds"]],
    ["functionMemoryMb", "512", ["callback-callback-function.memorySize"]],
    ["batchSize", "7", ["callback-callback-trigger.batchSize"]],
    [
        "maxBatchingWindowSeconds",
        "1",
        ["callback-callback-trigger.maximumBatchingWindowInSeconds", "callback-tasks-queue.visibilityTimeoutSeconds"],
    ],
    ["maxReceiveCount", "4", ["callback-tasks-queue.redrivePolicy"]],
    ["notificationEmail", "ops@example.com", ["callback-notifications-email.endpoint"]],
    ["alarmEmail", "oncall@example.com", ["callback-alarms-email.endpoint"]],
    ["logLevel", "ALL", ["callback-workflow-state-machine.loggingConfiguration"]],
    ["includeExecutionData", "true", ["callback-workflow-state-machine.loggingConfiguration"]],
    ["logRetentionDays", "7", ["callback-callback-logs.retentionInDays", "callback-workflow-logs.retentionInDays"]],
    [
        "permissionsBoundaryArn",
        "arn:aws:iam::123456789012:policy/deploy-boundary",
        ["callback-callback-role.permissionsBoundary", "callback-workflow-role.permissionsBoundary"],
    ],
];

describe("secret config values (Pulumi mocks)", () => {
    let warn: typeof pulumi.log.warn;
    const warnings: string[] = [];
    beforeEach(() => {
        warnings.length = 0;
        warn = pulumi.log.warn;
        pulumi.log.warn = async (message: string) => void warnings.push(message);
    });
    afterEach(() => (pulumi.log.warn = warn));

    it("nothing is a secret when nothing was set as one", async () => {
        const config = { ...Object.fromEntries(REACHES.map(([key, value]) => [key, value])), tags: JSON.stringify({ team: "a" }) };
        assert.deepEqual(await secretInputsWith(config, []), []);
        const { recorder } = await runProgram(config, STACK);
        assert.deepEqual(
            recorder.resources.filter((r) => r.additionalSecretOutputs.length > 0).map((r) => r.name),
            [],
        );
    });

    it("covers every key (tags have a test of their own)", () => {
        assert.deepEqual([...REACHES.map(([key]) => key), "tags"].sort(), [...CONFIG_KEYS].sort());
    });

    for (const [key, value, inputs] of REACHES) {
        it(`${key}: every input built from it is a secret, and only those`, async () => {
            // Email subscriptions exist only when an address is set; the others are set plainly beside it.
            assert.deepEqual(await secretInputsWith({ [key]: value }), [...inputs].sort());
        });
    }

    it("tags: every taggable resource's tags are a secret, the stack's own tags with them", async () => {
        const { recorder } = await runProgram({ tags: JSON.stringify({ "cost-center": "4711" }) }, STACK, undefined, undefined, ["tags"]);
        const tagged = recorder.resources.filter((r) => r.inputs.tags !== undefined);
        assert.equal(tagged.length, 19);
        for (const r of tagged) {
            assert.deepEqual(r.secretInputs, ["tags"], r.name);
            // The provider copies tags into tagsAll, which it does not keep secret by itself.
            assert.deepEqual(r.additionalSecretOutputs, ["tagsAll"], r.name);
            assert.equal((unwrap(r.inputs.tags) as Record<string, string>)["pulumi:stack"], STACK, r.name);
        }
        assert.deepEqual(
            recorder.resources.filter((r) => r.secretInputs.length > 0 && r.inputs.tags === undefined).map((r) => r.name),
            [],
        );
    });

    it("the deadline outputs (taskTimeoutSeconds, heartbeatSeconds) are secrets when their settings are, and only then", async () => {
        const secrecy = async (config: Record<string, string>, secretKeys: string[]) => {
            const { outputs } = await runProgram(config, STACK, undefined, undefined, secretKeys);
            return {
                taskTimeoutSeconds: await pulumi.isSecret(outputs.taskTimeoutSeconds),
                heartbeatSeconds: await pulumi.isSecret(outputs.heartbeatSeconds),
            };
        };
        const config = { taskTimeoutSeconds: "900", heartbeatSeconds: "60" };
        assert.deepEqual(await secrecy(config, []), { taskTimeoutSeconds: false, heartbeatSeconds: false });
        assert.deepEqual(await secrecy(config, ["taskTimeoutSeconds"]), { taskTimeoutSeconds: true, heartbeatSeconds: false });
        assert.deepEqual(await secrecy(config, ["heartbeatSeconds"]), { taskTimeoutSeconds: false, heartbeatSeconds: true });
        assert.deepEqual(await secrecy(config, ["taskTimeoutSeconds", "heartbeatSeconds"]), {
            taskTimeoutSeconds: true,
            heartbeatSeconds: true,
        });
        // No heartbeat set: 0, which tells nothing of a secret.
        assert.deepEqual(await secrecy({ taskTimeoutSeconds: "900" }, ["taskTimeoutSeconds"]), {
            taskTimeoutSeconds: true,
            heartbeatSeconds: false,
        });
        const { outputs } = await runProgram({ taskTimeoutSeconds: "900", heartbeatSeconds: "60" }, STACK, undefined, undefined, [
            "taskTimeoutSeconds",
            "heartbeatSeconds",
        ]);
        assert.deepEqual([await valueOf(outputs.taskTimeoutSeconds), await valueOf(outputs.heartbeatSeconds)], [900, 60]);
    });

    it("treats every setting as a secret, and says so, should the SDK stop telling which are", async () => {
        const runtime = pulumi.runtime as unknown as Record<string, unknown>;
        const saved = runtime.isConfigSecret;
        delete runtime.isConfigSecret;
        try {
            const config = { notificationEmail: "ops@example.com", functionMemoryMb: "512" };
            assert.deepEqual(await secretInputsWith(config, []), [
                "callback-callback-function.memorySize",
                "callback-notifications-email.endpoint",
            ]);
        } finally {
            runtime.isConfigSecret = saved;
        }
        assert.ok(
            warnings.some((w) => w.includes("every setting is treated as a secret")),
            warnings.join("\n"),
        );
    });

    describe("messages never show a secret value", () => {
        const invalid = async (config: Record<string, string>, secretKeys: string[]) => {
            const recorder = new MockRecorder();
            let message = "";
            await assert.rejects(runProgram(config, STACK, recorder, undefined, secretKeys), (error: unknown) => {
                message = (error as Error).message;
                return true;
            });
            return message;
        };

        it("an invalid secret value: the key and what is allowed, not the value", async () => {
            const message = await invalid({ notificationEmail: "hunter2-not-an-address", taskTimeoutSeconds: "s3cr3t" }, [
                "notificationEmail",
                "taskTimeoutSeconds",
            ]);
            assert.match(
                message,
                /callback-pattern:notificationEmail \(set as a secret; its value is not shown\) is not valid: must be an email address/,
            );
            assert.match(
                message,
                /callback-pattern:taskTimeoutSeconds \(set as a secret; its value is not shown\) is not valid: must be a whole number/,
            );
            assert.doesNotMatch(message, /hunter2|s3cr3t/);
        });

        it("a plain value checked against a secret one: the secret is not quoted", async () => {
            const message = await invalid({ taskTimeoutSeconds: "737", heartbeatSeconds: "800" }, ["taskTimeoutSeconds"]);
            assert.match(message, /heartbeatSeconds is "800": must be smaller than callback-pattern:taskTimeoutSeconds \(\[secret\]\)/);
            assert.doesNotMatch(message, /737/);
        });

        it("a plain batch size checked against a secret batching window: the window is not quoted", async () => {
            const batchSize = String(MAX_BATCH_SIZE_WITHOUT_WINDOW + 1);
            const message = await invalid({ batchSize, maxBatchingWindowSeconds: "0" }, ["maxBatchingWindowSeconds"]);
            assert.ok(
                message.includes(
                    `batchSize is "${batchSize}": a batch size over ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs callback-pattern:maxBatchingWindowSeconds of at least 1 (it is [secret])`,
                ),
                message,
            );
        });

        it("a secret tag map: tags named by position, never by name or value", async () => {
            const message = await invalid({ tags: JSON.stringify({ "project-nightingale": 7 }) }, ["tags"]);
            assert.match(
                message,
                /callback-pattern:tags \(set as a secret; its value is not shown\) is not valid: tag #1 must have a string value: .*`pulumi config set --path --secret --type string callback-pattern:tags\.NAME VALUE`/,
            );
            assert.doesNotMatch(message, /nightingale|\b7\b/);
        });

        it("warnings quote no secret value, nor figures computed from one, and their presence tells nothing", async () => {
            /** The warnings for these values of maxReceiveCount, heartbeatSeconds and includeExecutionData, all set as secrets. */
            const warningsFor = async (receives: string, heartbeat: string, executionData: string) => {
                warnings.length = 0;
                await runProgram(
                    { maxReceiveCount: receives, heartbeatSeconds: heartbeat, includeExecutionData: executionData },
                    STACK,
                    undefined,
                    undefined,
                    ["maxReceiveCount", "heartbeatSeconds", "includeExecutionData"],
                );
                return [...warnings];
            };
            // Values that would warn, and values that would not: the same warnings, naming no value.
            // A heartbeat that expires before a failed message comes back would warn; one just short of the task timeout would not.
            const redelivery = queueVisibilityTimeoutSeconds(DEFAULT_SETTINGS);
            const riskyHeartbeat = redelivery - 1;
            const safeHeartbeat = DEFAULT_SETTINGS.taskTimeoutSeconds - 1;
            const risky = await warningsFor("97", String(riskyHeartbeat), "true");
            const safe = await warningsFor("2", String(safeHeartbeat), "false");
            assert.deepEqual(risky, safe);
            assert.equal(risky.length, 3, risky.join("\n"));
            assert.match(risky[0], /^callback-pattern:maxReceiveCount is not checked, since maxReceiveCount is set as a secret: make sure/);
            assert.match(risky[1], /^callback-pattern:heartbeatSeconds is not checked, since heartbeatSeconds is set as a secret/);
            assert.match(
                risky[2],
                /^callback-pattern:includeExecutionData is set as a secret; if it is true, the state machine's logs carry execution data: at logLevel ALL, every task token/,
            );
            // Nor the span of 97 deliveries that a warning would have quoted.
            const span = (97 - 1) * redelivery;
            assert.doesNotMatch(risky.join("\n"), new RegExp(`\\b(97|${riskyHeartbeat}|${safeHeartbeat}|${span})\\b`));
            // A plain setting beside a secret one is not checked either: the comparison would tell the secret.
            warnings.length = 0;
            await runProgram({ taskTimeoutSeconds: "100", maxReceiveCount: "5" }, STACK, undefined, undefined, ["taskTimeoutSeconds"]);
            assert.deepEqual(warnings, [
                "callback-pattern:maxReceiveCount is not checked, since taskTimeoutSeconds is set as a secret: make sure that (maxReceiveCount - 1) × (6 × functionTimeoutSeconds + maxBatchingWindowSeconds) is less than taskTimeoutSeconds, or the later deliveries of a failing message find the task timed out.",
            ]);
        });
    });
});
