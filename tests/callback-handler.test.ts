import { strict as assert } from "node:assert";
import {
    InvalidOutput,
    InvalidToken,
    SendTaskFailureCommand,
    SendTaskSuccessCommand,
    SFNClient,
    TaskDoesNotExist,
    TaskTimedOut,
} from "@aws-sdk/client-sfn";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import {
    bound,
    createRecordHandler,
    DEFAULT_RESULT,
    ForeignRecordError,
    describeFailure,
    LIMITS,
    MalformedMessageError,
    parseCallbackMessage,
    serializeOutput,
    tokenFingerprint,
    type TaskWork,
} from "../functions/callback/callback";
import { callbackMessage, RecordingLogger, sqsRecord, TASK_QUEUE_ARN } from "./support/sqs-events";

// Stubs SFNClient's send for this file only: other files run the real client against a loopback endpoint.
const mockSfn = () => mockClient(SFNClient);
let sfn: ReturnType<typeof mockSfn>;
const TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAfake-task-token-".repeat(8);

const successCalls = () => sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input);
const failureCalls = () => sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input);
const throttling = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

describe("callback function", () => {
    before(() => {
        sfn = mockSfn();
    });
    after(() => sfn.restore());
    let logger: RecordingLogger;
    const handlerWith = (work?: TaskWork) =>
        createRecordHandler({ client: new SFNClient({ region: "eu-west-1", maxAttempts: 1 }), logger, work });

    beforeEach(() => {
        sfn.reset();
        logger = new RecordingLogger();
    });
    afterEach(() => {
        // Whatever happened, no log line may hold a whole task token.
        assert.doesNotMatch(JSON.stringify(logger.lines), new RegExp(TOKEN.slice(0, 40)));
    });

    describe("parseCallbackMessage", () => {
        it("accepts the message the state machine sends", () => {
            assert.deepEqual(parseCallbackMessage(callbackMessage("token-1")), {
                MessageTitle: "Task started by Step Functions. Waiting for callback with task token.",
                TaskToken: "token-1",
                ExecutionId: "arn:aws:states:eu-west-1:123456789012:execution:workflow:demo",
                Input: { order: 42 },
            });
        });
        const malformed: [string, string, RegExp][] = [
            ["not JSON", "hello", /the body is not JSON/],
            ["a JSON array", "[]", /not a JSON object/],
            ["JSON null", "null", /not a JSON object/],
            ["no token", "{}", /it has no TaskToken/],
            ["a number token", '{"TaskToken":7}', /TaskToken is not a non-empty string/],
            ["an empty token", '{"TaskToken":""}', /TaskToken is not a non-empty string/],
            ["a token over 2048 characters", JSON.stringify({ TaskToken: "t".repeat(2049) }), /longer than 2048/],
        ];
        for (const [what, body, reason] of malformed) {
            it(`rejects ${what}`, () => {
                assert.throws(
                    () => parseCallbackMessage(body),
                    (error: unknown) => error instanceof MalformedMessageError && reason.test(error.message),
                );
            });
        }
        it("accepts a token of exactly 2048 characters", () => {
            assert.equal(parseCallbackMessage(JSON.stringify({ TaskToken: "t".repeat(2048) })).TaskToken.length, 2048);
        });
    });

    describe("bounds", () => {
        it("cuts text to the limit and marks the cut, never inside a character", () => {
            assert.equal(bound("abc", 3), "abc");
            assert.equal(bound("abcd", 3), "ab…");
            assert.equal(bound("x".repeat(40_000), LIMITS.cause).length, LIMITS.cause);
            assert.equal(bound("ab😀cd", 4), "ab…"); // the emoji's two halves stay together or go together
            assert.equal(bound("ab😀cd", 5), "ab😀…");
        });
        it("fingerprints tokens that share their first characters apart, and never shows the token", () => {
            const [a, b] = [`${TOKEN}a`, `${TOKEN}b`];
            assert.notEqual(tokenFingerprint(a), tokenFingerprint(b));
            assert.match(tokenFingerprint(a), /^[0-9a-f]{16}$/);
            assert.equal(tokenFingerprint(a), tokenFingerprint(a));
        });
        it("describes a thrown error by its name and message, a thrown value by its text, within the limits", () => {
            assert.deepEqual(describeFailure(new RangeError("too far")), { error: "RangeError", cause: "too far" });
            assert.deepEqual(describeFailure("plain"), { error: "TaskWorkFailed", cause: "plain" });
            assert.equal(describeFailure("v".repeat(40_000)).cause.length, LIMITS.cause);
        });
        it("serializes the output, null for nothing, and refuses what cannot be an output", () => {
            assert.equal(serializeOutput({ a: 1 }), '{"a":1}');
            assert.equal(
                Buffer.byteLength(serializeOutput("x".repeat(LIMITS.outputBytes - 2))),
                LIMITS.outputBytes,
                "exactly the limit is allowed",
            );
            assert.equal(serializeOutput(undefined), "null");
            assert.throws(() => serializeOutput({ n: 1n }), /not JSON-serializable/);
            assert.throws(
                () => serializeOutput("é".repeat(LIMITS.outputBytes / 2)),
                /262146 bytes of JSON; a task output holds at most 262144/,
            );
        });
    });

    describe("record handler", () => {
        it("returns the token with SendTaskSuccess; the output carries the payload and a result", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            assert.equal(await handlerWith()(sqsRecord("m1", callbackMessage(TOKEN))), "succeeded");
            assert.deepEqual(
                successCalls().map((input) => ({ ...input, output: JSON.parse(input.output ?? "") as unknown })),
                [{ taskToken: TOKEN, output: { payload: { order: 42 }, result: DEFAULT_RESULT } }],
            );
            assert.deepEqual(failureCalls(), []);
            assert.deepEqual(logger.levels(), ["info"]);
            assert.equal(logger.lines[0].fields.taskToken, tokenFingerprint(TOKEN));
            assert.equal(logger.lines[0].fields.messageId, "m1");
            assert.equal(logger.lines[0].fields.executionId, "arn:aws:states:eu-west-1:123456789012:execution:workflow:demo");
        });

        it("the default work fails the task when the input asks for it", async () => {
            sfn.on(SendTaskFailureCommand).resolves({});
            assert.equal(await handlerWith()(sqsRecord("m1", callbackMessage(TOKEN, { order: 42, fail: "out of stock" }))), "failed");
            assert.deepEqual(failureCalls(), [{ taskToken: TOKEN, error: "TaskRejected", cause: "out of stock" }]);
            assert.deepEqual(successCalls(), []);
        });

        it("makes the work's result the task output", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            await handlerWith(async (message) => ({ approved: true, order: (message.Input as { order: number }).order }))(
                sqsRecord("m1", callbackMessage(TOKEN)),
            );
            assert.equal(successCalls()[0].output, '{"approved":true,"order":42}');
        });

        for (const ErrorClass of [TaskTimedOut, TaskDoesNotExist, InvalidToken]) {
            it(`acknowledges a record whose task is gone (${ErrorClass.name}) with a warning`, async () => {
                sfn.on(SendTaskSuccessCommand).rejects(new ErrorClass({ message: "gone", $metadata: {} }));
                assert.equal(await handlerWith()(sqsRecord("m1", callbackMessage(TOKEN))), "gone");
                assert.deepEqual(logger.levels(), ["warn"]);
                assert.equal(logger.lines[0].fields.error, ErrorClass.name);
                assert.deepEqual(failureCalls(), [], "a gone task must not be failed as well");
            });
        }

        it("reports the work's failure with SendTaskFailure, error name and cause, and acknowledges", async () => {
            sfn.on(SendTaskFailureCommand).resolves({});
            const work: TaskWork = async () => {
                throw new RangeError("order 42 is out of stock");
            };
            assert.equal(await handlerWith(work)(sqsRecord("m1", callbackMessage(TOKEN))), "failed");
            assert.deepEqual(failureCalls(), [{ taskToken: TOKEN, error: "RangeError", cause: "order 42 is out of stock" }]);
            assert.deepEqual(successCalls(), []);
        });

        it("bounds the error name and cause to AWS's limits", async () => {
            sfn.on(SendTaskFailureCommand).resolves({});
            const work: TaskWork = async () => {
                throw Object.assign(new Error("c".repeat(50_000)), { name: "N".repeat(300) });
            };
            await handlerWith(work)(sqsRecord("m1", callbackMessage(TOKEN)));
            const [failure] = failureCalls();
            assert.equal(failure.error?.length, LIMITS.error);
            assert.equal(failure.cause?.length, LIMITS.cause);
            assert.ok(failure.cause?.endsWith("…"));
        });

        it("fails the task when the work's result cannot be an output (too large or not JSON)", async () => {
            sfn.on(SendTaskFailureCommand).resolves({});
            await handlerWith(async () => "x".repeat(LIMITS.outputBytes))(sqsRecord("big", callbackMessage("token-big")));
            const circular: Record<string, unknown> = {};
            circular.self = circular;
            await handlerWith(async () => circular)(sqsRecord("loop", callbackMessage("token-loop")));
            const failures = failureCalls();
            assert.deepEqual(
                failures.map((f) => [f.taskToken, f.error]),
                [
                    ["token-big", "TaskOutputError"],
                    ["token-loop", "TaskOutputError"],
                ],
            );
            assert.match(failures[0].cause ?? "", /262146 bytes of JSON/);
            assert.match(failures[1].cause ?? "", /not JSON-serializable/);
            assert.deepEqual(successCalls(), []);
        });

        it("fails the task when Step Functions refuses the output (InvalidOutput, ValidationException), cause bounded", async () => {
            sfn.on(SendTaskSuccessCommand, { taskToken: "a" }).rejects(new InvalidOutput({ message: "Invalid JSON", $metadata: {} }));
            sfn.on(SendTaskSuccessCommand, { taskToken: "b" }).rejects(
                Object.assign(new Error("v".repeat(40_000)), { name: "ValidationException" }),
            );
            sfn.on(SendTaskFailureCommand).resolves({});
            assert.equal(await handlerWith()(sqsRecord("m1", callbackMessage("a"))), "failed");
            assert.equal(await handlerWith()(sqsRecord("m2", callbackMessage("b"))), "failed");
            const [first, second] = failureCalls();
            assert.deepEqual(first, { taskToken: "a", error: "InvalidOutput", cause: "Invalid JSON" });
            assert.equal(second.error, "ValidationException");
            assert.equal(second.cause?.length, LIMITS.cause);
        });

        it("recognizes a gone task by the error's name too (an error from another SDK copy or client)", async () => {
            sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error("gone"), { name: "TaskTimedOut" }));
            assert.equal(await handlerWith()(sqsRecord("m1", callbackMessage(TOKEN))), "gone");
        });

        it("leaves the record on the queue when the failure cannot be delivered", async () => {
            sfn.on(SendTaskFailureCommand).rejects(throttling());
            const work: TaskWork = async () => {
                throw new Error("boom");
            };
            await assert.rejects(handlerWith(work)(sqsRecord("m1", callbackMessage(TOKEN))), /Rate exceeded/);
            assert.deepEqual(logger.levels(), ["warn", "error"]);
        });

        it("acknowledges a failure whose task is gone", async () => {
            sfn.on(SendTaskFailureCommand).rejects(new TaskTimedOut({ message: "timed out", $metadata: {} }));
            const work: TaskWork = async () => {
                throw new Error("boom");
            };
            assert.equal(await handlerWith(work)(sqsRecord("m1", callbackMessage(TOKEN))), "gone");
        });

        it("leaves the record on the queue when Step Functions refuses the caller (AccessDenied): the task is not failed", async () => {
            // A missing permission is the operator's to fix; the task may still succeed on a later delivery.
            sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
            sfn.on(SendTaskFailureCommand).resolves({});
            await assert.rejects(handlerWith()(sqsRecord("m1", callbackMessage(TOKEN))), /not authorized/);
            assert.deepEqual(failureCalls(), []);
            assert.equal(logger.lines.at(-1)?.fields.error, "AccessDeniedException");
        });

        it("leaves the record on the queue when Step Functions cannot be reached", async () => {
            sfn.on(SendTaskSuccessCommand).rejects(throttling());
            await assert.rejects(handlerWith()(sqsRecord("m1", callbackMessage(TOKEN))), /Rate exceeded/);
            assert.deepEqual(logger.levels(), ["error"]);
            assert.equal(logger.lines[0].fields.error, "ThrottlingException");
        });

        it("refuses a record that did not come from the task queue: no callback, whatever token it holds", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            const guarded = createRecordHandler({
                client: new SFNClient({ region: "eu-west-1", maxAttempts: 1 }),
                logger,
                taskQueueArn: TASK_QUEUE_ARN,
            });
            // The reproduction: a forged message with a token read from another execution's history.
            const forged = callbackMessage("stolen-token", { approvedBy: "attacker" });
            for (const source of ["arn:aws:sqs:eu-west-1:123456789012:attacker-queue", "", undefined]) {
                const record = { ...sqsRecord("forged", forged), eventSourceARN: source as string };
                await assert.rejects(guarded(record), ForeignRecordError);
            }
            assert.equal(sfn.calls().length, 0);
            assert.deepEqual(logger.levels(), ["error", "error", "error"]);
            assert.match(String(logger.lines[0].fields.reason), /attacker-queue/);
            // From the task queue, the same message is answered.
            assert.equal(await guarded(sqsRecord("m1", callbackMessage("good-token"))), "succeeded");
        });

        it("leaves a malformed message on the queue without calling Step Functions, and says why", async () => {
            await assert.rejects(handlerWith()(sqsRecord("m1", "not json", 3)), MalformedMessageError);
            assert.equal(sfn.calls().length, 0);
            assert.deepEqual(logger.levels(), ["error"]);
            assert.equal(logger.lines[0].fields.reason, "Malformed callback message: the body is not JSON");
            assert.equal(logger.lines[0].fields.receiveCount, 3);
        });
    });

    describe("Lambda handler", () => {
        // The entry module creates its client when loaded; the SFNClient mock is already in place.
        let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
        before(() => {
            process.env.AWS_REGION ??= "eu-west-1";
            process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
            process.env.TASK_QUEUE_ARN = TASK_QUEUE_ARN;
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only once the client mock is in place
            ({ handler } = require("../functions/callback/handler") as { handler: typeof handler });
            // The module read it when loaded; the rest of the run does not see it.
            delete process.env.TASK_QUEUE_ARN;
        });
        const context = { functionName: "callback", awsRequestId: "req-1", getRemainingTimeInMillis: () => 30000 } as unknown as Context;

        it("processes every record of a batch and reports exactly the ones to deliver again", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            sfn.on(SendTaskSuccessCommand, { taskToken: "throttled" }).rejects(throttling());
            sfn.on(SendTaskSuccessCommand, { taskToken: "expired" }).rejects(new TaskTimedOut({ message: "timed out", $metadata: {} }));
            const event: SQSEvent = {
                Records: [
                    ...Array.from({ length: 3 }, (_, i) => sqsRecord(`good-${i}`, callbackMessage(`token-${i}`))),
                    sqsRecord("malformed", "{"),
                    ...Array.from({ length: 4 }, (_, i) => sqsRecord(`good-${i + 3}`, callbackMessage(`token-${i + 3}`))),
                    sqsRecord("throttled", callbackMessage("throttled")),
                    sqsRecord("expired", callbackMessage("expired")),
                ],
            };
            const response = await handler(event, context);
            assert.deepEqual(response.batchItemFailures.map((f) => f.itemIdentifier).sort(), ["malformed", "throttled"]);
            // AWS's sample stops after the first record; every good token must have been returned.
            const returned = successCalls().map((input) => input.taskToken);
            for (let i = 0; i < 7; i++) assert.ok(returned.includes(`token-${i}`), `token-${i} not returned`);
        });

        it("answers only the records of its own queue (TASK_QUEUE_ARN), however it is invoked", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            const forged = sqsRecord(
                "forged",
                callbackMessage("stolen", { approvedBy: "attacker" }),
                1,
                "arn:aws:sqs:eu-west-1:123456789012:other",
            );
            const response = await handler({ Records: [forged, sqsRecord("good", callbackMessage("token"))] }, context);
            assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: "forged" }]);
            assert.deepEqual(
                successCalls().map((input) => input.taskToken),
                ["token"],
            );
        });

        it("keeps the records of overlapping invocations apart: each response names exactly its own failures", async () => {
            // Lambda Managed Instances, and the local run, run several invocations in one process at once.
            sfn.on(SendTaskSuccessCommand).callsFake(async () => {
                await new Promise((resolve) => setTimeout(resolve, 30));
                return {};
            });
            const a: SQSEvent = {
                Records: [
                    sqsRecord("a-good-1", callbackMessage("a1")),
                    sqsRecord("a-malformed", "{"),
                    sqsRecord("a-good-2", callbackMessage("a2")),
                ],
            };
            const b: SQSEvent = { Records: [sqsRecord("b-malformed", "[]"), sqsRecord("b-good", callbackMessage("b1"))] };
            const first = handler(a, context);
            await new Promise((resolve) => setTimeout(resolve, 5)); // A is waiting on Step Functions when B starts
            const [responseA, responseB] = await Promise.all([first, handler(b, context)]);
            assert.deepEqual(responseA.batchItemFailures, [{ itemIdentifier: "a-malformed" }]);
            assert.deepEqual(responseB.batchItemFailures, [{ itemIdentifier: "b-malformed" }]);
            assert.deepEqual(
                successCalls()
                    .map((input) => input.taskToken)
                    .sort(),
                ["a1", "a2", "b1"],
            );
        });

        it("answers with a partial batch response even when every record fails", async () => {
            const event: SQSEvent = { Records: [sqsRecord("a", "x"), sqsRecord("b", "{}")] };
            const response = await handler(event, context);
            assert.deepEqual(response.batchItemFailures.map((f) => f.itemIdentifier).sort(), ["a", "b"]);
        });

        it("answers the records of a batch concurrently, not one after another", async () => {
            let inFlight = 0;
            let most = 0;
            sfn.on(SendTaskSuccessCommand).callsFake(async () => {
                inFlight++;
                most = Math.max(most, inFlight);
                await new Promise((resolve) => setTimeout(resolve, 20));
                inFlight--;
                return {};
            });
            const event: SQSEvent = { Records: Array.from({ length: 10 }, (_, i) => sqsRecord(`m${i}`, callbackMessage(`t${i}`))) };
            const response = await handler(event, context);
            assert.deepEqual(response.batchItemFailures, []);
            assert.equal(most, 10);
        });
    });
});
