/**
 * Returning a task token from outside the function (commands/task-token-answer.ts): the checks of a
 * request, and sendTaskAnswer through the real SDK client against a loopback Step Functions
 * endpoint, with every refusal the service or the network can give.
 */
import { strict as assert } from "node:assert";
import { SFNClient } from "@aws-sdk/client-sfn";
import { LIMITS, redactToken, tokenFingerprint } from "../functions/callback/error-text";
import { reply, StepFunctionsEndpoint, type Reply } from "../local/step-functions-endpoint";
import { TaskTokens } from "../local/task-tokens";
import {
    assertTaskAnswerSent,
    checkTaskAnswerRequest,
    checkTaskFailure,
    checkTaskOutput,
    checkTaskToken,
    sendTaskAnswer,
    TaskAnswerInputError,
    TaskAnswerRefusedError,
    tokenFromText,
    type TaskAnswerRefused,
    type TaskAnswerResult,
} from "../commands/task-token-answer";
import { useTokensLoopback } from "./support/loopback-client";
import { withShortestBackoff } from "./support/shortest-backoff";

/** A token shaped like AWS's (a fixed header, then base64). */
const TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAAR${"k7Jq2Vx9PpLm4TzRb8Wc1Ny6Ud3Hs5Ga0Ef".repeat(20)}==`;
/** Where a character after the token is: 729. */
const AFTER = TOKEN.length + 1;

/** The message of the input error `check` throws, after checking its field. */
function inputError(check: () => unknown, field: string): string {
    let message = "";
    assert.throws(check, (error: unknown) => {
        assert.ok(error instanceof TaskAnswerInputError, String(error));
        assert.equal(error.field, field);
        message = error.message;
        return true;
    });
    return message;
}

describe("task token answers (commands/task-token-answer.ts)", () => {
    describe("checks", () => {
        it("a token: 1 to 2048 characters, none of them whitespace, control or invisible; messages never show it", () => {
            assert.equal(checkTaskToken(TOKEN), TOKEN);
            assert.equal(checkTaskToken("x".repeat(LIMITS.taskToken)).length, LIMITS.taskToken);
            assert.match(
                inputError(() => checkTaskToken("", "--token"), "taskToken"),
                /^--token is empty; it should hold the task token$/,
            );
            assert.match(
                inputError(() => checkTaskToken("x".repeat(LIMITS.taskToken + 1), "--token-file t"), "taskToken"),
                /^--token-file t is 2049 characters long; a task token has at most 2048/,
            );
            const cases: [string, RegExp][] = [
                [
                    `${TOKEN}\n${TOKEN}`,
                    new RegExp(
                        `contains a line break \\(U\\+000A\\) at character ${AFTER} of ${2 * TOKEN.length + 1}; a task token has none \\(give one token, on one line\\)$`,
                    ),
                ],
                [`${TOKEN}\r`, new RegExp(`contains a carriage return \\(U\\+000D\\) at character ${AFTER} `)],
                [`${TOKEN} `, new RegExp(`contains a space at character ${AFTER} `)],
                [`\t${TOKEN}`, /contains a tab \(U\+0009\) at character 1 /],
                [`${TOKEN.slice(0, 10)}\u0000${TOKEN.slice(10)}`, /contains a NUL byte \(U\+0000\) at character 11/],
                [`${TOKEN.slice(0, 10)}\u200b${TOKEN.slice(10)}`, /contains U\+200B at character 11/],
                [`${TOKEN.slice(0, 10)}\u202e${TOKEN.slice(10)}`, /contains U\+202E at character 11/],
                [`${TOKEN.slice(0, 10)}\u001b[2J`, /contains U\+001B at character 11/],
                [`${TOKEN.slice(0, 10)}\ufffd`, /contains U\+FFFD \(bytes that are not UTF-8\) at character 11/],
            ];
            for (const [token, message] of cases) {
                const text = inputError(() => checkTaskToken(token, "the token"), "taskToken");
                assert.match(text, message);
                assert.ok(!text.includes(TOKEN.slice(0, 10)), text);
            }
        });

        it("a token from a file or standard input: one trailing line break is dropped, no more", () => {
            assert.equal(tokenFromText(`${TOKEN}\n`), TOKEN);
            assert.equal(tokenFromText(`${TOKEN}\r\n`), TOKEN);
            assert.equal(tokenFromText(TOKEN), TOKEN);
            assert.match(
                inputError(() => tokenFromText(`${TOKEN}\n\n`, "t.txt"), "taskToken"),
                new RegExp(`^t\\.txt contains a line break .* at character ${AFTER} of ${AFTER}`),
            );
            assert.match(
                inputError(() => tokenFromText("\n", "standard input"), "taskToken"),
                /^standard input is empty/,
            );
        });

        it("an output: JSON of at most 262144 bytes of UTF-8; the message quotes none of it", () => {
            assert.equal(checkTaskOutput('{"a":1}'), '{"a":1}');
            assert.equal(checkTaskOutput("null"), "null");
            const largest = JSON.stringify("x".repeat(LIMITS.outputBytes - 2));
            assert.equal(checkTaskOutput(largest), largest);
            // 87382 three-byte characters: fewer characters than the limit, more bytes.
            assert.match(
                inputError(() => checkTaskOutput(JSON.stringify("€".repeat(87_382)), "--output"), "output"),
                /^--output is 262148 bytes of UTF-8; a task output holds at most 262144$/,
            );
            assert.match(
                inputError(() => checkTaskOutput("", "--output"), "output"),
                /^--output is empty; it should hold JSON/,
            );
            assert.match(
                inputError(() => checkTaskOutput(" \n", "--output"), "output"),
                /is empty/,
            );
            assert.match(
                inputError(() => checkTaskOutput('{"a":', "--output"), "output"),
                /^--output is not valid JSON: Unexpected end of JSON input$/,
            );
            assert.match(
                inputError(() => checkTaskOutput("{} x", "--output"), "output"),
                /^--output is not valid JSON: Unexpected non-whitespace character after JSON at position 3/,
            );
            // A token given as the output: Node's own message would quote its start.
            const message = inputError(() => checkTaskOutput(TOKEN, "--output"), "output");
            assert.equal(message, "--output is not valid JSON: an unexpected character");
        });

        it("a failure: an error name of at most 256 characters and a cause of at most 32768, both optional", () => {
            assert.deepEqual(checkTaskFailure({ error: "Rejected", cause: "over budget" }), { error: "Rejected", cause: "over budget" });
            assert.deepEqual(checkTaskFailure({}), {});
            assert.deepEqual(
                checkTaskFailure({ error: "e".repeat(LIMITS.error), cause: "c".repeat(LIMITS.cause) }).error?.length,
                LIMITS.error,
            );
            assert.match(
                inputError(() => checkTaskFailure({ error: "e".repeat(257) }, { error: "--error", cause: "--cause" }), "error"),
                /^--error is 257 characters long; an error name has at most 256$/,
            );
            assert.match(
                inputError(
                    () => checkTaskFailure({ error: "E", cause: "c".repeat(32_769) }, { error: "--error", cause: "--cause" }),
                    "cause",
                ),
                /^--cause is 32769 characters long; a cause has at most 32768$/,
            );
        });

        it("a whole request: each part by its own check", () => {
            const ok = { taskToken: TOKEN, answer: { action: "heartbeat" as const } };
            assert.equal(checkTaskAnswerRequest(ok), ok);
            inputError(() => checkTaskAnswerRequest({ ...ok, taskToken: "" }), "taskToken");
            inputError(() => checkTaskAnswerRequest({ taskToken: TOKEN, answer: { action: "success", output: "{" } }), "output");
            inputError(
                () => checkTaskAnswerRequest({ taskToken: TOKEN, answer: { action: "failure", cause: "c".repeat(40_000) } }),
                "cause",
            );
            assert.throws(
                () => checkTaskAnswerRequest({ taskToken: TOKEN, answer: { action: "approve" } as never }),
                /unknown answer action "approve"/,
            );
        });

        it("takes the token out of a text: whole, and any word that holds a piece of it", () => {
            const fingerprint = tokenFingerprint(TOKEN);
            assert.equal(redactToken(`bad token ${TOKEN}.`, TOKEN), `bad token [task token ${fingerprint}].`);
            assert.equal(redactToken(`token '${TOKEN.slice(30, 200)}' cut`, TOKEN), "token '[part of the task token]' cut");
            assert.equal(redactToken(`prefix:${TOKEN.slice(100, 112)}`, TOKEN), "[part of the task token]");
            assert.equal(redactToken("nothing of it here: AQCEAAAAKgA", TOKEN), "nothing of it here: AQCEAAAAKgA");
            assert.equal(redactToken("text", ""), "text");
        });
    });

    describe("sendTaskAnswer through the SDK, against a loopback endpoint", () => {
        let endpoint: StepFunctionsEndpoint;
        let tokens: TaskTokens;
        const client = () =>
            new SFNClient({
                region: "eu-west-1",
                endpoint: endpoint.url,
                credentials: { accessKeyId: "AKIDLOOPBACKEXAMPLE", secretAccessKey: "s" },
                requestHandler: { connectionTimeout: 300, requestTimeout: 300, throwOnRequestTimeout: true },
            });
        const suite = useTokensLoopback();
        beforeEach(() => ({ endpoint, tokens } = suite));

        /** The refusal when the endpoint answers every call with `answer`. */
        async function refusalFor(answer: Reply, action: "success" | "heartbeat" = "success"): Promise<TaskAnswerRefused> {
            endpoint.respond = () => answer;
            const result = await sendTaskAnswer(client(), {
                taskToken: TOKEN,
                answer: action === "success" ? { action, output: "{}" } : { action },
            });
            assert.equal(result.ok, false, JSON.stringify(result));
            const refused = result as TaskAnswerRefused;
            assert.ok(!JSON.stringify(refused).includes(TOKEN.slice(26, 40)), JSON.stringify(refused));
            return refused;
        }

        it("success, failure and heartbeat reach the waiting task", async () => {
            const [a, b, c] = [tokens.issue(), tokens.issue(), tokens.issue()];
            const [ra, rb, rc] = [a, b, c].map((t) => tokens.waitFor(t, { timeoutSeconds: 5, heartbeatSeconds: 1 }));
            rb.catch(() => undefined);
            const sent = await sendTaskAnswer(client(), { taskToken: a, answer: { action: "success", output: '{"approved":true}' } });
            assert.deepEqual(sent, { ok: true, action: "SendTaskSuccess", tokenFingerprint: tokenFingerprint(a), attempts: 1 });
            assert.deepEqual(await ra, { approved: true });

            const failed = await sendTaskAnswer(client(), {
                taskToken: b,
                answer: { action: "failure", error: "Rejected", cause: "over budget" },
            });
            assert.equal(failed.ok, true);
            await assert.rejects(rb, { name: "Rejected", message: "over budget" });
            assert.deepEqual(endpoint.callsOf("SendTaskFailure")[0].input, { taskToken: b, error: "Rejected", cause: "over budget" });

            // Heartbeats every 600 ms keep a task with HeartbeatSeconds 1 waiting past its heartbeat.
            for (let i = 0; i < 3; i++) {
                await new Promise((resolve) => setTimeout(resolve, 600));
                const beat = await sendTaskAnswer(client(), { taskToken: c, answer: { action: "heartbeat" } });
                assert.deepEqual(beat, { ok: true, action: "SendTaskHeartbeat", tokenFingerprint: tokenFingerprint(c), attempts: 1 });
            }
            assert.equal(tokens.waiting, 1);
            await sendTaskAnswer(client(), { taskToken: c, answer: { action: "success", output: "1" } });
            assert.equal(await rc, 1);
        });

        it("a deadline longer than a timer can wait (Infinity, 30 days) is no deadline at all, not one of 1 ms", async () => {
            for (const timeoutMs of [Infinity, 30 * 24 * 3600 * 1000]) {
                const token = tokens.issue();
                const waiting = tokens.waitFor(token, { timeoutSeconds: 5 });
                // Node fires a setTimeout of more than 2^31 - 1 ms (or of Infinity) after 1 ms.
                const sent = await sendTaskAnswer(
                    client(),
                    { taskToken: token, answer: { action: "success", output: "{}" } },
                    { timeoutMs },
                );
                assert.equal(sent.ok, true, JSON.stringify(sent));
                assert.deepEqual(await waiting, {});
            }
        });

        it("a task gone (answered twice, timed out, TaskDoesNotExist): task-gone, not retryable", async () => {
            const token = tokens.issue();
            void tokens.waitFor(token, { timeoutSeconds: 5 });
            assertTaskAnswerSent(await sendTaskAnswer(client(), { taskToken: token, answer: { action: "success", output: "{}" } }));
            const again = await sendTaskAnswer(client(), { taskToken: token, answer: { action: "success", output: "{}" } });
            assert.deepEqual(again, {
                ok: false,
                action: "SendTaskSuccess",
                tokenFingerprint: tokenFingerprint(token),
                reason: "task-gone",
                errorName: "TaskTimedOut",
                message: "the task no longer takes an answer (TaskTimedOut): it timed out, was already answered, or its execution ended",
                retryable: false,
                attempts: 1,
            });
            const missing = await refusalFor(reply.error("TaskDoesNotExist", 400, "Task does not exist"));
            assert.equal(missing.reason, "task-gone");
            assert.match(missing.message, /\(TaskDoesNotExist\): it timed out, was already answered, or its execution ended$/);
        });

        it("a gone task after a retried call says an earlier attempt may have delivered the answer", async () => {
            // The first attempt is lost on the way back (the connection drops), the retry finds the task closed.
            endpoint.respond = (call) => (call.attempt === 1 ? reply.drop() : reply.error("TaskTimedOut", 400, "Task Timed Out"));
            const result = await sendTaskAnswer(client(), { taskToken: TOKEN, answer: { action: "failure", error: "E" } });
            assert.equal(result.ok, false);
            assert.equal((result as TaskAnswerRefused).reason, "task-gone");
            assert.match(
                (result as TaskAnswerRefused).message,
                /the call was retried \(2 attempts\), so an earlier attempt may have delivered this very answer$/,
            );
        });

        it("an unknown token: invalid-token; an output refused: invalid-output; a ValidationException: invalid-request", async () => {
            const unknown = await sendTaskAnswer(client(), { taskToken: "not-a-token-anyone-issued", answer: { action: "heartbeat" } });
            assert.equal((unknown as TaskAnswerRefused).reason, "invalid-token");
            assert.match(
                (unknown as TaskAnswerRefused).message,
                /^Step Functions does not know this task token \(InvalidToken\): it was cut or changed/,
            );
            const output = await refusalFor(reply.error("InvalidOutput", 400, "Invalid JSON output"));
            assert.deepEqual(
                [output.reason, output.message],
                ["invalid-output", "Step Functions refused the output (InvalidOutput: Invalid JSON output)"],
            );
            const validation = await refusalFor(reply.error("ValidationException", 400, "1 validation error"));
            assert.equal(validation.reason, "invalid-request");
        });

        it("access denied: names the action and the resource AWS checked, and the fix; the token echoed in the message is taken out", async () => {
            const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-workflow-1a2b";
            const denied = await refusalFor(
                reply.error(
                    "AccessDeniedException",
                    400,
                    `User: arn:aws:sts::123456789012:assumed-role/partner/x is not authorized to perform: states:SendTaskSuccess on resource: ${machine} because no identity-based policy allows it (token ${TOKEN})`,
                ),
            );
            assert.equal(denied.reason, "access-denied");
            assert.equal(denied.retryable, false);
            assert.match(
                denied.message,
                new RegExp(
                    `^the caller may not call states:SendTaskSuccess on ${machine}: its role needs states:SendTaskSuccess, states:SendTaskFailure and states:SendTaskHeartbeat on the state machine's ARN, the stack output stateMachineArn \\(see examples/consumer\\) \\(AccessDeniedException: User: `,
                ),
            );
            assert.match(denied.message, new RegExp(`\\(token \\[task token ${tokenFingerprint(TOKEN)}\\]\\)\\)$`));
            const vague = await refusalFor(reply.error("AccessDeniedException", 400, "Access denied"), "heartbeat");
            assert.match(vague.message, /^the caller may not call states:SendTaskHeartbeat on the state machine that issued the token/);
            const kms = await refusalFor(reply.error("KmsAccessDeniedException", 400, "KMS said no"));
            assert.equal(kms.reason, "access-denied");
            assert.match(kms.message, /could not use its KMS key/);
        });

        it("what the service sends is shown without terminal controls, cut to a readable length", async () => {
            const hostile = await refusalFor(
                reply.error("Evil\u001b[2J\u202eType", 400, `\u001b]0;pwned\u0007 ${TOKEN} ${"A".repeat(100_000)}`),
            );
            assert.equal(hostile.reason, "service-error");
            assert.equal(hostile.errorName, "Evil\\u001b[2J\\u202eType");
            assert.match(
                hostile.message,
                new RegExp(
                    `^Step Functions refused the call \\(Evil\\\\u001b\\[2J\\\\u202eType: \\\\u001b\\]0;pwned\\\\u0007 \\[task token ${tokenFingerprint(TOKEN)}\\] (A+)?…\\)$`,
                ),
            );
            assert.ok(hostile.message.length < 1200, `${hostile.message.length} characters`);
            assert.ok(![...hostile.message].some((c) => c < " " || c === "\u202e"), "a control character is left");
        });

        it("a flood is cut before the token is looked for, never through a token's start", async () => {
            // Three whole tokens, filler, and the first 8 characters of a fourth exactly where the flood is cut
            // (1000 shown + two tokens): too short a piece to be found, and closer than 1000 once the three are replaced.
            const head = `${TOKEN} ${TOKEN} ${TOKEN} `;
            const message = `${head}${"y".repeat(1000 + 2 * TOKEN.length - head.length - 8)}${TOKEN}${"z".repeat(10_000_000)}`;
            const started = Date.now();
            const flood = await refusalFor(reply.error("AccessDeniedException", 400, message));
            assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
            assert.ok(!flood.message.includes(TOKEN.slice(0, 8)), flood.message);
            assert.equal(flood.message.split(`[task token ${tokenFingerprint(TOKEN)}]`).length, 4);
        });

        it("a call the SDK cannot make (an endpoint that is not a URL): client-error", async () => {
            const broken = new SFNClient({
                region: "eu-west-1",
                endpoint: "not a url",
                credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
            });
            const result = (await sendTaskAnswer(broken, { taskToken: TOKEN, answer: { action: "heartbeat" } })) as TaskAnswerRefused;
            assert.deepEqual(
                [result.reason, result.message],
                [
                    "client-error",
                    "the call could not be made (TypeError: Invalid URL); check the client's endpoint and region (AWS_ENDPOINT_URL_SFN, AWS_REGION)",
                ],
            );
        });

        it("credentials refused: bad-credentials", async () => {
            const refused = await refusalFor(
                reply.error("UnrecognizedClientException", 400, "The security token included in the request is invalid."),
            );
            assert.equal(refused.reason, "bad-credentials");
            assert.match(refused.message, /^the AWS credentials were refused \(UnrecognizedClientException: /);
        });

        it("throttled on every attempt: throttled, retryable, with the attempts", async () => {
            // The SDK's jittered waits between the attempts pinned to none: the attempts are what is asserted.
            const throttled = await withShortestBackoff(() => refusalFor(reply.error("ThrottlingException", 400, "Rate exceeded")));
            assert.deepEqual(
                [throttled.reason, throttled.retryable, throttled.attempts, throttled.message],
                ["throttled", true, 3, "Step Functions throttled the call (ThrottlingException) on all 3 attempts; try again later"],
            );
            assert.equal(endpoint.calls.length, 3);
        });

        it("throttled once, then taken: sent, after 2 attempts", async () => {
            const token = tokens.issue();
            void tokens.waitFor(token, { timeoutSeconds: 5 });
            endpoint.respond = (call) =>
                call.attempt === 1 ? reply.error("ThrottlingException", 400, "Rate exceeded") : tokens.respond(call);
            const result = await withShortestBackoff(() => sendTaskAnswer(client(), { taskToken: token, answer: { action: "heartbeat" } }));
            assert.deepEqual(result, { ok: true, action: "SendTaskHeartbeat", tokenFingerprint: tokenFingerprint(token), attempts: 2 });
        });

        it("a 5xx on every attempt: service-error, retryable", async () => {
            const failed = await refusalFor(reply.error("InternalFailure", 500, "boom"));
            assert.deepEqual([failed.reason, failed.retryable], ["service-error", true]);
            assert.match(failed.message, /^Step Functions failed \(InternalFailure: boom\) on all 3 attempts; try again later$/);
        });

        it("no connection, a dropped connection, a stalled endpoint: unreachable, within the client's timeouts", async () => {
            const refusedClient = new SFNClient({
                region: "eu-west-1",
                endpoint: "http://127.0.0.1:1",
                credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
            });
            const refused = (await sendTaskAnswer(refusedClient, {
                taskToken: TOKEN,
                answer: { action: "heartbeat" },
            })) as TaskAnswerRefused;
            assert.deepEqual(
                [refused.reason, refused.errorName, refused.message],
                ["unreachable", "Error", "could not reach Step Functions (ECONNREFUSED) on all 3 attempts"],
            );
            const dropped = await refusalFor(reply.drop());
            assert.equal(dropped.reason, "unreachable");
            assert.match(
                dropped.message,
                /^could not reach Step Functions \(ECONNRESET\) on all 3 attempts; whether the answer arrived is unknown: send it again$/,
            );
            const started = Date.now();
            const stalled = await refusalFor(reply.stall());
            assert.equal(stalled.reason, "unreachable");
            assert.match(
                stalled.message,
                /^could not reach Step Functions \(no answer in time\) on all 3 attempts; whether the answer arrived is unknown/,
            );
            assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
        });

        it("a client without timeouts and a stalled endpoint: timed-out at the deadline", async () => {
            endpoint.respond = () => reply.stall();
            const slow = new SFNClient({
                region: "eu-west-1",
                endpoint: endpoint.url,
                credentials: { accessKeyId: "AKID", secretAccessKey: "s" },
            });
            const started = Date.now();
            const result = (await sendTaskAnswer(
                slow,
                { taskToken: TOKEN, answer: { action: "heartbeat" } },
                { timeoutMs: 400 },
            )) as TaskAnswerRefused;
            const elapsed = Date.now() - started;
            assert.deepEqual(
                [result.reason, result.retryable, result.message],
                ["timed-out", true, "no outcome from Step Functions within 0.4 s; whether the answer arrived is unknown: send it again"],
            );
            assert.ok(elapsed >= 380 && elapsed < 1500, `${elapsed} ms`);
            slow.destroy();
        });

        it("a send that never settles (credentials that never resolve) is bounded too", async () => {
            const hanging = { send: () => new Promise<never>(() => undefined) } as unknown as SFNClient;
            const result = (await sendTaskAnswer(
                hanging,
                { taskToken: TOKEN, answer: { action: "heartbeat" } },
                { timeoutMs: 100 },
            )) as TaskAnswerRefused;
            assert.equal(result.reason, "timed-out");
        });

        it("the caller's abort signal: aborted", async () => {
            endpoint.respond = () => reply.stall();
            const controller = new AbortController();
            setTimeout(() => controller.abort(), 100);
            const result = (await sendTaskAnswer(
                client(),
                { taskToken: TOKEN, answer: { action: "heartbeat" } },
                { signal: controller.signal },
            )) as TaskAnswerRefused;
            assert.deepEqual([result.reason, result.retryable], ["aborted", false]);
        });

        it("no credentials and no region: said plainly", async () => {
            const noCredentials = {
                send: () =>
                    Promise.reject(
                        Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
                    ),
            } as unknown as SFNClient;
            const a = (await sendTaskAnswer(noCredentials, { taskToken: TOKEN, answer: { action: "heartbeat" } })) as TaskAnswerRefused;
            assert.deepEqual([a.reason, a.message.slice(0, 33)], ["no-credentials", "no AWS credentials were found (se"]);
            const saved = process.env.AWS_REGION;
            delete process.env.AWS_REGION;
            try {
                const noRegion = new SFNClient({ endpoint: endpoint.url, credentials: { accessKeyId: "AKID", secretAccessKey: "s" } });
                const b = (await sendTaskAnswer(noRegion, { taskToken: TOKEN, answer: { action: "heartbeat" } })) as TaskAnswerRefused;
                assert.deepEqual(
                    [b.reason, b.message],
                    ["no-region", "no AWS region is set: set AWS_REGION to the region of the state machine (the region in its ARN)"],
                );
            } finally {
                if (saved !== undefined) process.env.AWS_REGION = saved;
            }
        });

        it("refuses a bad request before sending anything", async () => {
            await assert.rejects(
                sendTaskAnswer(client(), { taskToken: `${TOKEN}\n`, answer: { action: "heartbeat" } }),
                TaskAnswerInputError,
            );
            await assert.rejects(
                sendTaskAnswer(client(), { taskToken: TOKEN, answer: { action: "success", output: "nope" } }),
                TaskAnswerInputError,
            );
            assert.equal(endpoint.calls.length, 0);
        });

        it("assertTaskAnswerSent throws the refusal, with a message that names the fingerprint, not the token", async () => {
            const result: TaskAnswerResult = await refusalFor(reply.error("TaskTimedOut"));
            assert.throws(
                () => assertTaskAnswerSent(result),
                (error: unknown) =>
                    error instanceof TaskAnswerRefusedError &&
                    error.result === result &&
                    error.message.startsWith(
                        `SendTaskSuccess for task token ${tokenFingerprint(TOKEN)}: the task no longer takes an answer`,
                    ),
            );
        });
    });
});
