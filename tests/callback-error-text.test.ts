/**
 * Whatever the work throws becomes a bounded error name and cause, and no text the function logs
 * or forwards carries a whole task token; a failed call is logged for what it was.
 */
import { strict as assert } from "node:assert";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { processBatch, type RecordHandler } from "../functions/callback/batch";
import { createRecordHandler, handOff, type TaskWork } from "../functions/callback/callback";
import {
    CALL_ERROR_MESSAGES,
    classifyCallError,
    describeFailure,
    LIMITS,
    redactToken,
    THROWN_VALUE_ERROR,
    tokenFingerprint,
    UNPRINTABLE_CAUSE,
} from "../functions/callback/error-text";
import { reply, StepFunctionsEndpoint, type EndpointCall, type Reply } from "../local/step-functions-endpoint";
import { useCoreLoopback } from "./support/loopback-client";
import { callbackMessage, RecordingLogger, sqsRecord } from "./support/sqs-events";

// Real task tokens are long base64; this one shares a fixed header with every other, as real ones do.
const TOKEN = `AQB8AAAAKgAAAAMAAAAAAAAAAR${"x9Q2".repeat(150)}`;

/** Thrown values that broke the old formatting, each with what it must become. */
const revoked = Proxy.revocable({}, {});
revoked.revoke();
const HOSTILE: [string, () => unknown, { error: string | RegExp; cause: string | RegExp }][] = [
    ["an object without a prototype", () => Object.create(null), { error: THROWN_VALUE_ERROR, cause: "{}" }],
    [
        "an error whose name is not a string",
        () => Object.assign(new Error("bad name"), { name: 42 }),
        { error: "Error", cause: "bad name" },
    ],
    [
        "an object whose toString throws",
        () => ({
            toString() {
                throw new Error("no");
            },
        }),
        { error: THROWN_VALUE_ERROR, cause: "{}" },
    ],
    [
        "an error whose message getter throws",
        () => {
            const error = new TypeError("hidden");
            Object.defineProperty(error, "message", {
                get() {
                    throw new Error("no");
                },
            });
            return error;
        },
        { error: "TypeError", cause: "The work threw TypeError with a message that cannot be read." },
    ],
    ["a revoked Proxy", () => revoked.proxy, { error: THROWN_VALUE_ERROR, cause: UNPRINTABLE_CAUSE }],
    ["undefined", () => undefined, { error: THROWN_VALUE_ERROR, cause: "undefined" }],
    ["null", () => null, { error: THROWN_VALUE_ERROR, cause: "null" }],
    ["a symbol", () => Symbol("s"), { error: THROWN_VALUE_ERROR, cause: "Symbol(s)" }],
    ["a BigInt", () => 10n, { error: THROWN_VALUE_ERROR, cause: "10" }],
    ["an error with an empty name", () => Object.assign(new Error("x"), { name: "" }), { error: "Error", cause: "x" }],
];

describe("error text", () => {
    describe("describeFailure", () => {
        for (const [what, make, expected] of HOSTILE) {
            it(`describes ${what} without throwing`, () => {
                const failure = describeFailure(make());
                if (typeof expected.error === "string") assert.equal(failure.error, expected.error);
                else assert.match(failure.error, expected.error);
                if (typeof expected.cause === "string") assert.equal(failure.cause, expected.cause);
                else assert.match(failure.cause, expected.cause);
            });
        }
        it("bounds both to AWS's limits", () => {
            const failure = describeFailure(Object.assign(new Error("c".repeat(50_000)), { name: "N".repeat(300) }));
            assert.equal(failure.error.length, LIMITS.error);
            assert.equal(failure.cause.length, LIMITS.cause);
        });
        it("describes an enormous message in time that does not grow with it, never throwing", () => {
            // A 10 MB run of base64 characters (a payload echoed in an error) overflowed the
            // redaction's regular expression; 1 MB took a quarter of a second to redact.
            for (const message of ["A".repeat(10_000_000), `${"x".repeat(2_000_000)} ${TOKEN}`]) {
                const started = performance.now();
                const failure = describeFailure(Object.assign(new Error(message), { name: message }), TOKEN);
                assert.ok(performance.now() - started < 100, `took ${(performance.now() - started).toFixed(0)} ms`);
                assert.equal(failure.cause.length, LIMITS.cause);
                assert.equal(failure.error.length, LIMITS.error);
            }
            // A token across the cut is still replaced whole.
            const across = `${"word ".repeat((LIMITS.cause - 100) / 5)}${TOKEN} and more`;
            assert.doesNotMatch(describeFailure(new Error(across), TOKEN).cause, /x9Q2x9Q2x9Q2x9Q2/);
        });
        it("keeps the task token out of the name and the cause", () => {
            const failure = describeFailure(Object.assign(new Error(`cannot store ${TOKEN}`), { name: `E${TOKEN}` }), TOKEN);
            assert.doesNotMatch(JSON.stringify(failure), /x9Q2x9Q2x9Q2x9Q2/);
            assert.equal(failure.cause, `cannot store [task token ${tokenFingerprint(TOKEN)}]`);
        });
    });

    describe("redactToken", () => {
        it("replaces the whole token, and a word holding 12 or more of its characters (a service may cut what it echoes)", () => {
            const mark = `[task token ${tokenFingerprint(TOKEN)}]`;
            assert.equal(redactToken(`Value '${TOKEN}' at 'taskToken'`, TOKEN), `Value '${mark}' at 'taskToken'`);
            assert.equal(redactToken(`Value '${TOKEN.slice(100, 400)}...' failed`, TOKEN), "Value '[part of the task token]' failed");
        });
        it("leaves other text alone, short pieces and unrelated long words included", () => {
            const text = `Invalid token AQB8AAAAKgA, see ${"Z".repeat(40)}`;
            assert.equal(redactToken(text, TOKEN), text);
        });
    });

    describe("classifyCallError", () => {
        const withStatus = (name: string, status?: number) =>
            Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
        it("tells throttling, refusals, server errors, unreadable answers and no answer apart", () => {
            assert.equal(classifyCallError(withStatus("ThrottlingException", 400)), "throttled");
            assert.equal(classifyCallError(withStatus("AccessDeniedException", 400)), "refused");
            assert.equal(classifyCallError(withStatus("KMSAccessDeniedException", 400)), "refused");
            assert.equal(classifyCallError(withStatus("InternalFailure", 500)), "service-error");
            assert.equal(classifyCallError(withStatus("SyntaxError", 200)), "unreadable-answer");
            assert.equal(classifyCallError(withStatus("TimeoutError")), "unreachable");
            assert.equal(classifyCallError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), "unreachable");
            assert.equal(classifyCallError(Object.create(null)), "unreachable");
        });
    });

    describe("the batch", () => {
        it("names a record whatever its handler rejects with: Powertools reads the error's message", async () => {
            const rejections = [undefined, null, describeFailure, revoked.proxy, HOSTILE[3][1]()];
            const handle: RecordHandler = (record) => Promise.reject(rejections[Number(record.messageId)]);
            const event = { Records: rejections.map((_, i) => sqsRecord(String(i), callbackMessage(TOKEN))) };
            const response = await processBatch(event, { getRemainingTimeInMillis: () => 10_000 }, handle, new RecordingLogger());
            assert.deepEqual(
                response.batchItemFailures.map((failure) => failure.itemIdentifier),
                ["0", "1", "2", "3", "4"],
            );
        });
    });

    describe("through the record handler and the real SDK client", () => {
        let answer: (call: EndpointCall) => Reply = reply.ok;
        const suite = useCoreLoopback({ respond: (call) => answer(call) }, { maxAttempts: 1 });
        let endpoint: StepFunctionsEndpoint;
        let client: SFNClient;
        let logger: RecordingLogger;
        beforeEach(() => {
            ({ endpoint, client, logger } = suite);
            answer = reply.ok;
        });
        afterEach(() => {
            assert.doesNotMatch(JSON.stringify(logger.lines), /x9Q2x9Q2x9Q2x9Q2/, "a log line holds the token");
        });

        for (const [what, make, expected] of HOSTILE) {
            it(`fails the task, with a log line, when the work throws ${what}`, async () => {
                const work: TaskWork = async () => {
                    throw make();
                };
                const handle = createRecordHandler({ client, logger, work });
                assert.equal(await handle(sqsRecord("m1", callbackMessage(TOKEN))), "failed");
                const [call] = endpoint.callsOf("SendTaskFailure");
                if (typeof expected.error === "string") assert.equal(call.input.error, expected.error);
                assert.ok(typeof call.input.cause === "string");
                assert.deepEqual(logger.levels(), ["warn"]);
            });
        }

        // A result is read to tell a hand-off from an output: what it throws then must fail the task too.
        const unreadable = () =>
            new Proxy(
                {},
                {
                    get(_target, key) {
                        if (key === "then") return undefined; // not a thenable: awaited as it is
                        throw new Error("no reading");
                    },
                },
            );
        it("fails the task, with a log line, when the work's result throws when read", async () => {
            const handle = createRecordHandler({ client, logger, work: async () => unreadable() });
            assert.equal(await handle(sqsRecord("m1", callbackMessage(TOKEN))), "failed");
            const [call] = endpoint.callsOf("SendTaskFailure");
            assert.equal(call.input.error, "TaskOutputError");
            assert.deepEqual(logger.levels(), ["warn"]);
        });

        it("acknowledges a hand-off whose note cannot be read or shown, with a log line", async () => {
            const handOffs = [
                Object.defineProperty(handOff(), "note", {
                    get() {
                        throw new Error("no note");
                    },
                }),
                { ...handOff(), note: { toString: () => Symbol("not text") } },
            ];
            for (const result of handOffs) {
                const handle = createRecordHandler({ client, logger, work: async () => result });
                assert.equal(await handle(sqsRecord("m1", callbackMessage(TOKEN))), "handed-off");
            }
            assert.deepEqual(logger.levels(), ["info", "info"]);
            assert.deepEqual(endpoint.calls, []);
        });

        it("forwards a refused output's cause without the token a ValidationException echoes", async () => {
            answer = (call) =>
                call.action === "SendTaskSuccess"
                    ? reply.error("ValidationException", 400, `1 validation error detected: Value '${TOKEN}' at 'taskToken' failed`)
                    : reply.ok();
            const handle = createRecordHandler({ client, logger });
            assert.equal(await handle(sqsRecord("m1", callbackMessage(TOKEN))), "failed");
            const [failure] = endpoint.callsOf("SendTaskFailure");
            assert.equal(failure.input.error, "ValidationException");
            assert.equal(
                failure.input.cause,
                `1 validation error detected: Value '[task token ${tokenFingerprint(TOKEN)}]' at 'taskToken' failed`,
            );
            assert.equal(logger.lines[0].message, "Step Functions refused the output; failing the task instead");
        });

        const logged: [string, () => Reply, string][] = [
            [
                "AccessDeniedException",
                () => reply.error("AccessDeniedException", 400, `not authorized for ${TOKEN}`),
                CALL_ERROR_MESSAGES.refused,
            ],
            ["a server error", () => reply.error("InternalFailure", 500), CALL_ERROR_MESSAGES["service-error"]],
            ["throttling", () => reply.error("ThrottlingException", 400), CALL_ERROR_MESSAGES.throttled],
            ["a dropped connection", () => reply.drop(), CALL_ERROR_MESSAGES.unreachable],
        ];
        for (const [what, make, message] of logged) {
            it(`says what happened when the call meets ${what}, and leaves the record on the queue`, async () => {
                answer = make;
                const handle = createRecordHandler({ client, logger });
                await assert.rejects(handle(sqsRecord("m1", callbackMessage(TOKEN))));
                assert.deepEqual(
                    logger.lines.map((line) => [line.level, line.message]),
                    [["error", message]],
                );
            });
        }
    });
});
