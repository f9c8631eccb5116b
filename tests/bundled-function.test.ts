/**
 * The callback function as deployed: the bundled archive the stack uploads, run against a Step
 * Functions endpoint on loopback through the real SDK client (signing, wire protocol, error
 * parsing and the SDK's own retries), with no stub in between.
 */
import { strict as assert } from "node:assert";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { SQSEvent } from "aws-lambda";
import { createRecordHandler, DEFAULT_RESULT, tokenFingerprint, type TaskWork } from "../functions/callback/callback";
import { MAX_ATTEMPTS, worstCaseSendMs } from "../functions/callback/client-settings";
import { captureLogs, LAMBDA_CONTEXT, lambdaContext, loadBundledHandler, type CallbackHandler } from "../local/bundled-handler";
import { useBundledLoopback } from "./support/loopback-client";
import { withShortestBackoff } from "./support/shortest-backoff";
import { callbackMessage, RecordingLogger, sqsRecord } from "./support/sqs-events";
import { reply, StepFunctionsEndpoint, type EndpointCall, type Reply } from "../local/step-functions-endpoint";

/** Replies chosen by the token, so that one batch can hold every case. */
function byToken(call: EndpointCall): Reply {
    const token = String(call.input.taskToken);
    if (token.startsWith("timed-out")) return reply.error("TaskTimedOut");
    if (token.startsWith("does-not-exist")) return reply.error("TaskDoesNotExist");
    if (token.startsWith("invalid")) return reply.error("InvalidToken");
    if (token.startsWith("throttled-once")) return call.attempt === 1 ? reply.error("ThrottlingException") : reply.ok();
    if (token.startsWith("throttled")) return reply.error("ThrottlingException");
    if (token.startsWith("error-500-once")) return call.attempt === 1 ? reply.error("InternalFailure", 500) : reply.ok();
    if (token.startsWith("error-500")) return reply.error("InternalFailure", 500);
    if (token.startsWith("dropped-once")) return call.attempt === 1 ? reply.drop() : reply.ok();
    if (token.startsWith("dropped")) return reply.drop();
    if (token.startsWith("stalled")) return reply.stall();
    if (token.startsWith("refused-output"))
        return call.action === "SendTaskSuccess" ? reply.error("InvalidOutput", 400, "Invalid JSON output") : reply.ok();
    return reply.ok();
}

const SDK_MAX_ATTEMPTS = MAX_ATTEMPTS; // the function client's attempts per call (sfn-client.ts)
const SDK_DEFAULT_MAX_ATTEMPTS = 3; // a client created with the SDK's defaults, as the core's tests below do

describe("bundled callback function against a loopback Step Functions endpoint", () => {
    const suite = useBundledLoopback({ respond: byToken });
    let endpoint: StepFunctionsEndpoint;
    let handler: CallbackHandler;
    beforeEach(() => ({ endpoint, handler } = suite));

    const run = (event: SQSEvent, context = LAMBDA_CONTEXT) => captureLogs(() => handler(event, context));
    const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
        response.batchItemFailures.map((f) => f.itemIdentifier).sort();

    it("answers nothing that did not come from its task queue (a direct invocation with a forged record)", async () => {
        const forged = sqsRecord(
            "forged",
            callbackMessage("good-token", { approvedBy: "attacker" }),
            1,
            "arn:aws:sqs:eu-west-1:123456789012:x",
        );
        const { result, lines } = await run({ Records: [forged] });
        assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "forged" }] });
        assert.deepEqual(endpoint.calls, []);
        assert.match(lines.join("\n"), /did not come from the task queue/);
    });

    it("answers nothing at all when TASK_QUEUE_ARN is not set (fails closed)", async () => {
        const unset = loadBundledHandler(endpoint.url, { TASK_QUEUE_ARN: "" });
        try {
            const { result } = await captureLogs(() =>
                unset.handler({ Records: [sqsRecord("m1", callbackMessage("good-token"))] }, LAMBDA_CONTEXT),
            );
            assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "m1" }] });
            assert.deepEqual(endpoint.calls, []);
        } finally {
            unset.restoreEnv();
        }
    });

    it("returns a good message's token with a signed awsJson 1.0 SendTaskSuccess request", async () => {
        const { result } = await run({ Records: [sqsRecord("m1", callbackMessage("good-token"))] });
        assert.deepEqual(result, { batchItemFailures: [] });
        const [call, ...more] = endpoint.calls;
        assert.deepEqual(more, []);
        assert.equal(call.action, "SendTaskSuccess");
        assert.equal(call.headers["x-amz-target"], "AWSStepFunctions.SendTaskSuccess");
        assert.equal(call.headers["content-type"], "application/x-amz-json-1.0");
        assert.match(
            String(call.headers.authorization),
            /^AWS4-HMAC-SHA256 Credential=AKIDLOOPBACKEXAMPLE\/\d{8}\/eu-west-1\/states\/aws4_request/,
        );
        assert.equal(call.input.taskToken, "good-token");
        assert.deepEqual(JSON.parse(String(call.input.output)), { payload: { order: 42 }, result: DEFAULT_RESULT });
    });

    for (const token of ["timed-out", "does-not-exist", "invalid"]) {
        it(`acknowledges a record whose task is gone (${token}) after one call, without retrying`, async () => {
            const { result, lines } = await run({ Records: [sqsRecord("m1", callbackMessage(token))] });
            assert.deepEqual(result.batchItemFailures, []);
            assert.equal(endpoint.calls.length, 1);
            const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((log) => log.level === "WARN");
            assert.ok(warning, `no warning logged: ${lines.join("\n")}`);
        });
    }

    for (const [token, what] of [
        ["throttled-once", "ThrottlingException"],
        ["error-500-once", "a 500"],
        ["dropped-once", "a dropped connection"],
    ]) {
        it(`retries ${what} inside the SDK and then succeeds`, async () => {
            const { result } = await run({ Records: [sqsRecord("m1", callbackMessage(token))] });
            assert.deepEqual(result.batchItemFailures, []);
            assert.deepEqual(
                endpoint.callsOf("SendTaskSuccess", token).map((c) => c.attempt),
                [1, 2],
            );
        });
    }

    for (const [token, what] of [
        ["throttled", "ThrottlingException"],
        ["error-500", "a 500"],
        ["dropped", "a dropped connection"],
    ]) {
        it(`reports the record for another delivery when ${what} outlasts the SDK's retries`, async () => {
            // Time for every attempt: the throttling backoff alone may take up to 15 s, and with
            // LAMBDA_CONTEXT's 10 s the deadline cut off the 5th attempt in about a third of the runs.
            const event = { Records: [sqsRecord("m1", callbackMessage(token))] };
            const { result } = await withShortestBackoff(() => captureLogs(() => handler(event, lambdaContext(worstCaseSendMs() + 2000))));
            assert.deepEqual(failedIds(result), ["m1"]);
            assert.equal(endpoint.callsOf("SendTaskSuccess", token).length, SDK_MAX_ATTEMPTS);
        });
    }

    it("in a mixed batch of 10, names exactly the failing message ids", async () => {
        const records = [
            sqsRecord("good-1", callbackMessage("good-1")),
            sqsRecord("good-2", callbackMessage("good-2")),
            sqsRecord("retried", callbackMessage("throttled-once-x")),
            sqsRecord("gone", callbackMessage("timed-out-x")),
            sqsRecord("not-json", "{ not json"),
            sqsRecord("no-token", JSON.stringify({ Input: {} })),
            sqsRecord("throttled", callbackMessage("throttled-x")),
            sqsRecord("server-error", callbackMessage("error-500-x")),
            sqsRecord("dropped", callbackMessage("dropped-x")),
            sqsRecord("good-3", callbackMessage("good-3")),
        ];
        // A 1.5 s invocation: the throttled record's backoff (up to 15 s) ends at the deadline instead;
        // the other records need their calls only (a few ms each, the retried ones under 1 s of backoff).
        const { result } = await captureLogs(() => handler({ Records: records }, lambdaContext(1500)));
        assert.deepEqual(failedIds(result), ["dropped", "no-token", "not-json", "server-error", "throttled"]);
        for (const token of ["good-1", "good-2", "good-3"]) assert.equal(endpoint.callsOf("SendTaskSuccess", token).length, 1, token);
    });

    it("keeps overlapping invocations apart: each response names exactly its own failures", async () => {
        // The reproduction: one module-level batch processor, two invocations at once.
        endpoint.latencyMs = 30;
        try {
            const a = {
                Records: [
                    sqsRecord("a-good", callbackMessage("good-a")),
                    sqsRecord("a-bad", "{"),
                    sqsRecord("a-good-2", callbackMessage("good-a2")),
                ],
            };
            const b = { Records: [sqsRecord("b-bad", "[]"), sqsRecord("b-good", callbackMessage("good-b"))] };
            const { result } = await captureLogs(async () => {
                const first = handler(a, LAMBDA_CONTEXT);
                await new Promise((resolve) => setTimeout(resolve, 5));
                return Promise.all([first, handler(b, LAMBDA_CONTEXT)]);
            });
            assert.deepEqual(failedIds(result[0]), ["a-bad"]);
            assert.deepEqual(failedIds(result[1]), ["b-bad"]);
        } finally {
            endpoint.latencyMs = 0;
        }
    });

    it("reports a work failure with SendTaskFailure (the default work fails when the input asks)", async () => {
        const { result } = await run({ Records: [sqsRecord("m1", callbackMessage("failing-input", { order: 42, fail: "out of stock" }))] });
        assert.deepEqual(result.batchItemFailures, []);
        assert.deepEqual(endpoint.callsOf("SendTaskSuccess"), []);
        assert.deepEqual(
            endpoint.callsOf("SendTaskFailure").map((c) => c.input),
            [{ taskToken: "failing-input", error: "TaskRejected", cause: "out of stock" }],
        );
    });

    it("fails the task when Step Functions refuses the output (InvalidOutput)", async () => {
        const { result } = await run({ Records: [sqsRecord("m1", callbackMessage("refused-output"))] });
        assert.deepEqual(result.batchItemFailures, []);
        assert.deepEqual(
            endpoint.callsOf("SendTaskFailure").map((c) => [c.input.error, c.input.cause]),
            [["InvalidOutput", "Invalid JSON output"]],
        );
    });

    it("logs structured JSON and never a whole task token", async () => {
        const token = `good-${"x".repeat(600)}`;
        const { lines } = await run({
            Records: [
                sqsRecord("a", callbackMessage(token)),
                sqsRecord("b", callbackMessage(`timed-out-${"y".repeat(600)}`)),
                sqsRecord("c", "oops"),
            ],
        });
        assert.ok(lines.length >= 3, lines.join("\n"));
        for (const line of lines) {
            const log = JSON.parse(line) as Record<string, unknown>;
            assert.equal(log.service, "callback-pattern");
            assert.ok(typeof log.level === "string" && typeof log.message === "string");
            assert.doesNotMatch(line, /x{100}|y{100}/, "a log line holds a whole task token");
        }
        const returned = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((log) => log.messageId === "a");
        assert.equal(returned?.taskToken, tokenFingerprint(token));
    });
});

describe("callback core with the real SDK client against a loopback endpoint", () => {
    let endpoint: StepFunctionsEndpoint;
    before(async () => {
        endpoint = await StepFunctionsEndpoint.start({ respond: byToken });
    });
    after(async () => endpoint.close());

    const client = () =>
        new SFNClient({
            region: "eu-west-1",
            endpoint: endpoint.url,
            credentials: { accessKeyId: "AKIDLOOPBACKEXAMPLE", secretAccessKey: "s" },
        });

    it("delivers a failed work's error and cause with SendTaskFailure, then acknowledges", async () => {
        const work: TaskWork = async () => {
            throw new TypeError("the order has no customer");
        };
        const outcome = await createRecordHandler({ client: client(), logger: new RecordingLogger(), work })(
            sqsRecord("m1", callbackMessage("failing-work")),
        );
        assert.equal(outcome, "failed");
        const [call, ...more] = endpoint.callsOf("SendTaskFailure", "failing-work");
        assert.deepEqual(more, []);
        assert.equal(call.headers["x-amz-target"], "AWSStepFunctions.SendTaskFailure");
        assert.deepEqual(call.input, { taskToken: "failing-work", error: "TypeError", cause: "the order has no customer" });
        assert.deepEqual(endpoint.callsOf("SendTaskSuccess"), []);
    });

    it("leaves the record on the queue when the failure cannot be delivered", async () => {
        const work: TaskWork = async () => {
            throw new Error("boom");
        };
        await assert.rejects(
            withShortestBackoff(() =>
                createRecordHandler({ client: client(), logger: new RecordingLogger(), work })(
                    sqsRecord("m1", callbackMessage("throttled-failure")),
                ),
            ),
            (error: Error) => error.name === "ThrottlingException",
        );
        assert.equal(endpoint.callsOf("SendTaskFailure", "throttled-failure").length, SDK_DEFAULT_MAX_ATTEMPTS);
    });
});
