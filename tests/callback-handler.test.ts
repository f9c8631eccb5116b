import { strict as assert } from "node:assert";
import {
    InvalidToken,
    SendTaskSuccessCommand,
    SFNClient,
    TaskDoesNotExist,
    TaskTimedOut,
    type SendTaskSuccessCommandInput,
} from "@aws-sdk/client-sfn";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import {
    createRecordHandler,
    MalformedMessageError,
    parseCallbackMessage,
    tokenPrefix,
} from "../functions/callback/callback";

const sfn = mockClient(SFNClient);

function record(messageId: string, body: string): SQSRecord {
    return {
        messageId,
        receiptHandle: `handle-${messageId}`,
        body,
        attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: "1700000000000",
            SenderId: "AIDAEXAMPLE",
            ApproximateFirstReceiveTimestamp: "1700000000000",
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:tasks",
        awsRegion: "eu-west-1",
    };
}

const message = (token: string, input: unknown = { order: 42 }) =>
    JSON.stringify({ MessageTitle: "Task started by Step Functions.", TaskToken: token, ExecutionId: "arn:exec", Input: input });

class RecordingLogger {
    public readonly lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    public info(message: string, fields: Record<string, unknown> = {}) {
        this.lines.push({ level: "info", message, fields });
    }
    public warn(message: string, fields: Record<string, unknown> = {}) {
        this.lines.push({ level: "warn", message, fields });
    }
}

const sentTokens = () => sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken);

describe("callback function", () => {
    beforeEach(() => sfn.reset());

    describe("parseCallbackMessage", () => {
        it("accepts the message the state machine sends", () => {
            assert.deepEqual(parseCallbackMessage(message("token-1")), {
                MessageTitle: "Task started by Step Functions.",
                TaskToken: "token-1",
                ExecutionId: "arn:exec",
                Input: { order: 42 },
            });
        });
        const malformed: [string, string, RegExp][] = [
            ["not JSON", "hello", /the body is not JSON/],
            ["a JSON array", "[]", /not a JSON object/],
            ["no token", "{}", /it has no TaskToken/],
            ["a number token", '{"TaskToken":7}', /TaskToken is not a non-empty string/],
            ["an empty token", '{"TaskToken":""}', /TaskToken is not a non-empty string/],
            ["a token over 2048 characters", JSON.stringify({ TaskToken: "t".repeat(2049) }), /longer than 2048/],
        ];
        for (const [what, body, reason] of malformed) {
            it(`rejects ${what}`, () => {
                assert.throws(() => parseCallbackMessage(body), (error: unknown) => error instanceof MalformedMessageError && reason.test(error.message));
            });
        }
    });

    describe("record handler", () => {
        it("returns the token with SendTaskSuccess, the execution input in the output", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            const logger = new RecordingLogger();
            await createRecordHandler({ client: new SFNClient({ region: "eu-west-1" }), logger })(record("m1", message("token-1")));
            const calls = sfn.commandCalls(SendTaskSuccessCommand);
            assert.equal(calls.length, 1);
            const input: SendTaskSuccessCommandInput = calls[0].args[0].input;
            assert.equal(input.taskToken, "token-1");
            assert.deepEqual(JSON.parse(input.output ?? ""), { result: "Callback received.", input: { order: 42 } });
            assert.equal(logger.lines[0].level, "info");
        });

        it("uses the work function's result as the task output", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            const work = async () => ({ approved: true });
            await createRecordHandler({ client: new SFNClient({ region: "eu-west-1" }), logger: new RecordingLogger(), work })(record("m1", message("t")));
            assert.equal(sfn.commandCalls(SendTaskSuccessCommand)[0].args[0].input.output, '{"approved":true}');
        });

        for (const ErrorClass of [TaskTimedOut, TaskDoesNotExist, InvalidToken]) {
            it(`acknowledges a record whose task is gone (${ErrorClass.name}) and logs a warning without the token`, async () => {
                sfn.on(SendTaskSuccessCommand).rejects(new ErrorClass({ message: "gone", $metadata: {} }));
                const logger = new RecordingLogger();
                const token = "secret-token-".repeat(10);
                await createRecordHandler({ client: new SFNClient({ region: "eu-west-1" }), logger })(record("m1", message(token)));
                assert.equal(logger.lines.length, 1);
                assert.equal(logger.lines[0].level, "warn");
                assert.equal(logger.lines[0].fields.error, ErrorClass.name);
                assert.equal(logger.lines[0].fields.taskToken, tokenPrefix(token));
                assert.doesNotMatch(JSON.stringify(logger.lines), new RegExp(token));
            });
        }

        it("rejects (so SQS delivers again) when Step Functions fails otherwise", async () => {
            const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
            sfn.on(SendTaskSuccessCommand).rejects(throttled);
            await assert.rejects(
                createRecordHandler({ client: new SFNClient({ region: "eu-west-1", maxAttempts: 1 }), logger: new RecordingLogger() })(record("m1", message("t"))),
                /Rate exceeded/,
            );
        });

        it("rejects a malformed message without calling Step Functions", async () => {
            await assert.rejects(
                createRecordHandler({ client: new SFNClient({ region: "eu-west-1" }), logger: new RecordingLogger() })(record("m1", "not json")),
                MalformedMessageError,
            );
            assert.equal(sfn.calls().length, 0);
        });
    });

    describe("Lambda handler", () => {
        // The entry module creates its client when loaded; the SFNClient mock is already in place.
        let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
        before(() => {
            process.env.AWS_REGION ??= "eu-west-1";
            process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
            ({ handler } = require("../functions/callback/handler"));
        });
        const context = { functionName: "callback", awsRequestId: "req-1", getRemainingTimeInMillis: () => 30000 } as unknown as Context;

        it("processes every record of a batch and reports exactly the ones to deliver again", async () => {
            sfn.on(SendTaskSuccessCommand).resolves({});
            sfn.on(SendTaskSuccessCommand, { taskToken: "throttled" }).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
            sfn.on(SendTaskSuccessCommand, { taskToken: "expired" }).rejects(new TaskTimedOut({ message: "timed out", $metadata: {} }));
            const good = Array.from({ length: 7 }, (_, i) => record(`good-${i}`, message(`token-${i}`)));
            const event: SQSEvent = {
                Records: [
                    ...good.slice(0, 3),
                    record("malformed", "{"),
                    ...good.slice(3),
                    record("throttled", message("throttled")),
                    record("expired", message("expired")),
                ],
            };
            const response = await handler(event, context);
            assert.deepEqual(response.batchItemFailures.map((f) => f.itemIdentifier).sort(), ["malformed", "throttled"]);
            // AWS's sample stops after the first record; every good token must have been returned.
            for (let i = 0; i < 7; i++) assert.ok(sentTokens().includes(`token-${i}`), `token-${i} not returned`);
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
            const event: SQSEvent = { Records: Array.from({ length: 10 }, (_, i) => record(`m${i}`, message(`t${i}`))) };
            const response = await handler(event, context);
            assert.deepEqual(response.batchItemFailures, []);
            assert.equal(most, 10);
        });
    });
});
