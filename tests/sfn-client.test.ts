/**
 * The function's Step Functions client (`functions/callback/sfn-client.ts`) and the loopback
 * endpoint's throttling, through the real SDK: settings, the token bucket, a throttled burst, the
 * warm-up, and a large batch through the bundled function.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { MAXIMUM_RETRY_DELAY, Retry } from "@smithy/core/retry";
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from "@smithy/types";
import {
    CONNECTION_TIMEOUT_MS,
    MAX_ATTEMPTS,
    MAX_CALLS_IN_FLIGHT,
    MAX_SOCKETS,
    minimumFunctionTimeoutSeconds,
    REQUEST_TIMEOUT_MS,
    RETRY_MODE,
    SDK_BACKOFF,
    stalledCallMs,
    worstCaseSendMs,
    type SendSettings,
} from "../functions/callback/client-settings";
import { deadlineMarginMs } from "../functions/callback/deadline";
import {
    createStepFunctionsClient,
    warmUpStepFunctionsClient,
    WARM_UP_TOKEN,
    type StepFunctionsClientOptions,
} from "../functions/callback/sfn-client";
import { captureLogs, lambdaContext, loadBundledHandler } from "../local/bundled-handler";
import { StepFunctionsEndpoint, STEP_FUNCTIONS_TASK_TOKEN_QUOTA } from "../local/step-functions-endpoint";
import { callbackMessage, sqsRecord, TASK_QUEUE_ARN } from "./support/sqs-events";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends SendTaskSuccess for `tokens`, at most `inFlight` at a time; returns the error of each call (undefined: success). */
async function sendAll(client: SFNClient, tokens: string[], inFlight: number): Promise<(Error | undefined)[]> {
    const errors: (Error | undefined)[] = [];
    let next = 0;
    const worker = async () => {
        while (next < tokens.length) {
            const index = next++;
            try {
                await client.send(new SendTaskSuccessCommand({ taskToken: tokens[index], output: "{}" }));
                errors[index] = undefined;
            } catch (error) {
                errors[index] = error as Error;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, tokens.length) }, worker));
    return errors;
}

describe("Step Functions client of the callback function", () => {
    let endpoint: StepFunctionsEndpoint;
    const clients: SFNClient[] = [];
    const client = (options: StepFunctionsClientOptions = {}) => {
        const created = createStepFunctionsClient({
            endpoint: endpoint.url,
            region: "eu-west-1",
            credentials: { accessKeyId: "AKIDLOOPBACKEXAMPLE", secretAccessKey: "s" },
            ...options,
        });
        clients.push(created);
        return created;
    };

    before(async () => {
        endpoint = await StepFunctionsEndpoint.start();
    });
    after(async () => {
        for (const created of clients) created.destroy();
        await endpoint.close();
    });
    beforeEach(() => {
        endpoint.reset();
        endpoint.latencyMs = 0;
        endpoint.throttle = undefined;
    });

    describe("settings", () => {
        it("resolves to the chosen retry mode, attempts, timeouts and sockets", async () => {
            const created = client();
            assert.equal(await created.config.maxAttempts(), MAX_ATTEMPTS);
            assert.equal(((await created.config.retryStrategy()) as { mode?: string }).mode, RETRY_MODE);
            await warmUpStepFunctionsClient(created); // resolves the HTTP handler's configuration and agent
            const handler = created.config.requestHandler as unknown as {
                httpHandlerConfigs(): { connectionTimeout?: number; requestTimeout?: number; httpAgent?: { maxSockets: number } };
            };
            const configs = handler.httpHandlerConfigs();
            assert.equal(configs.connectionTimeout, CONNECTION_TIMEOUT_MS);
            assert.equal(configs.requestTimeout, REQUEST_TIMEOUT_MS);
            assert.equal(configs.httpAgent?.maxSockets, MAX_SOCKETS);
            assert.ok(
                MAX_CALLS_IN_FLIGHT <= MAX_SOCKETS,
                "a call in flight could wait for a socket, and its connection timeout would count the wait",
            );
        });

        it("knows the SDK's backoff as the installed SDK has it", () => {
            assert.deepEqual(SDK_BACKOFF, {
                throttlingBaseMs: Retry.throttlingDelay(),
                transientBaseMs: Retry.delay(),
                maxDelayMs: MAXIMUM_RETRY_DELAY,
            });
        });

        it("gives the worst case of one send: every attempt to its timeout, every retry the longest throttling backoff", () => {
            assert.equal(worstCaseSendMs(), 5 * 1500 + 1000 + 2000 + 4000 + 8000);
            assert.equal(worstCaseSendMs({ maxAttempts: 1, requestTimeoutMs: 2000 }), 2000);
            assert.equal(worstCaseSendMs({ maxAttempts: 3, requestTimeoutMs: 2000 }), 6000 + 1000 + 2000);
            // The backoff stops growing at the SDK's 20 s cap: retries 6 to 9 wait up to 20 s each.
            assert.equal(worstCaseSendMs({ maxAttempts: 10, requestTimeoutMs: 0 }), 1000 + 2000 + 4000 + 8000 + 16_000 + 4 * 20_000);
        });

        it("gives a stalled call's time, and the shortest function timeout that lets it make every attempt", () => {
            assert.equal(stalledCallMs(), 5 * 1500 + 50 + 100 + 200 + 400);
            assert.equal(stalledCallMs({ maxAttempts: 1 }), 1500);
            const seconds = minimumFunctionTimeoutSeconds();
            assert.equal(seconds, 10);
            const budget = (s: number) => s * 1000 - deadlineMarginMs(s * 1000);
            assert.ok(budget(seconds) >= stalledCallMs() && budget(seconds - 1) < stalledCallMs());
        });

        it("gives up on a call that never answers after every attempt, within a stalled call's time", async () => {
            // The production attempts with a shorter request timeout: the bounds are computed from
            // the same settings, so what is proved is the same (every attempt runs to its timeout,
            // no more attempts and no longer backoff than stalledCallMs says) in a fifth of the
            // wait; the production values are checked above, by arithmetic.
            const settings = { requestTimeoutMs: 300 } satisfies SendSettings;
            endpoint.respond = () => ({ kind: "stall" });
            try {
                const started = Date.now();
                await assert.rejects(client(settings).send(new SendTaskSuccessCommand({ taskToken: "stalled", output: "{}" })), {
                    name: "TimeoutError",
                });
                const elapsed = Date.now() - started;
                assert.equal(endpoint.callsOf("SendTaskSuccess", "stalled").length, MAX_ATTEMPTS);
                assert.ok(elapsed >= MAX_ATTEMPTS * settings.requestTimeoutMs, `gave up after ${elapsed} ms`);
                // Slack for a loaded machine, less than one more attempt would add.
                const slackMs = settings.requestTimeoutMs - 50;
                assert.ok(
                    elapsed <= stalledCallMs(settings) + slackMs,
                    `took ${elapsed} ms, more than a stalled call's ${stalledCallMs(settings)} ms`,
                );
            } finally {
                endpoint.respond = () => ({ kind: "ok" });
            }
        });
    });

    describe("the endpoint", () => {
        it("takes a client that goes away in the middle of a request without an unhandled rejection", async () => {
            // A call aborted at the deadline may close its connection before the body is sent.
            const unhandled: unknown[] = [];
            const onUnhandled = (reason: unknown) => unhandled.push(reason);
            process.on("unhandledRejection", onUnhandled);
            try {
                const socket = net.connect(Number(new URL(endpoint.url).port), "127.0.0.1");
                await new Promise((resolve) => socket.once("connect", resolve));
                socket.write(
                    "POST / HTTP/1.1\r\nHost: loopback\r\nContent-Type: application/x-amz-json-1.0\r\n" +
                        'X-Amz-Target: AWSStepFunctions.SendTaskSuccess\r\nContent-Length: 100\r\n\r\n{"taskToken"',
                );
                await sleep(50);
                socket.destroy();
                await sleep(50);
                assert.equal(endpoint.requests, 1);
                assert.deepEqual(unhandled, []);
            } finally {
                process.off("unhandledRejection", onUnhandled);
            }
        });
    });

    describe("the endpoint's throttling", () => {
        it("documents Step Functions' quota for the task-token actions", () => {
            assert.deepEqual(STEP_FUNCTIONS_TASK_TOKEN_QUOTA.largeRegions, { capacity: 3000, refillPerSecond: 500 });
            assert.deepEqual(STEP_FUNCTIONS_TASK_TOKEN_QUOTA.otherRegions, { capacity: 1500, refillPerSecond: 300 });
        });

        it("is a token bucket per action: a burst up to its size, then ThrottlingException (400) until it refills", async () => {
            // The bucket's own clock: time passes only where the test says, however slow the calls.
            let now = 0;
            endpoint.throttle = { capacity: 5, refillPerSecond: 5, clock: () => now };
            const once = client({ maxAttempts: 1 }); // no retries: every answer is seen
            const burst = await sendAll(
                once,
                Array.from({ length: 8 }, (_, i) => `burst-${i}`),
                8,
            );
            assert.equal(burst.filter((error) => error === undefined).length, 5);
            for (const error of burst.filter((e) => e !== undefined)) {
                assert.equal(error.name, "ThrottlingException");
                assert.equal((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 400);
            }
            assert.equal(endpoint.throttledCalls, 3);
            assert.deepEqual(
                endpoint.calls.filter((call) => call.throttled).map((call) => call.action),
                ["SendTaskSuccess", "SendTaskSuccess", "SendTaskSuccess"],
            );

            // Another action has a bucket of its own, still full.
            await once.send(new SendTaskFailureCommand({ taskToken: "failure-1", error: "E", cause: "c" }));

            // 300 ms at 5 per second put 1.5 tokens back: one call passes, the next is throttled.
            now += 300;
            const refilled = await sendAll(once, ["after-1", "after-2"], 1);
            assert.deepEqual(
                refilled.map((error) => error?.name),
                [undefined, "ThrottlingException"],
            );

            // Without throttling, nothing is refused.
            endpoint.throttle = undefined;
            assert.deepEqual(await sendAll(once, ["free-1", "free-2", "free-3"], 3), [undefined, undefined, undefined]);
        });
    });

    describe("a throttled burst", () => {
        /**
         * A bucket clock that stands still until the burst has taken every token, then runs in
         * real time (as the SDK's backoff does): the call after the first `capacity` is throttled
         * however slowly a loaded machine sends them. With the real clock from the start, a slow
         * machine's calls came no faster than the bucket refills, and none was throttled.
         */
        const burstClock = (capacity: number) => {
            let startedAt: number | undefined;
            return () => {
                if (startedAt === undefined && endpoint.calls.length < capacity) return 0;
                startedAt ??= performance.now();
                return performance.now() - startedAt;
            };
        };

        it(`completes with no failure through the client's retries, ${MAX_CALLS_IN_FLIGHT} calls in flight`, async function () {
            this.timeout(30_000);
            // 4× more calls than the bucket refills while it lasts, as in the README's measurements.
            endpoint.latencyMs = 25;
            const capacity = 100;
            endpoint.throttle = { capacity, refillPerSecond: 500, clock: burstClock(capacity) };
            // 300 calls: 100 from the full bucket, 200 more while it refills at a quarter of the rate they
            // come at (2000 per second: MAX_CALLS_IN_FLIGHT calls every 25 ms).
            const tokens = Array.from({ length: 3 * capacity }, (_, i) => `burst-${i}`);
            const errors = await sendAll(client(), tokens, MAX_CALLS_IN_FLIGHT);
            assert.ok(endpoint.throttledCalls > 0, "the burst was never throttled: the test proves nothing");
            assert.deepEqual(
                errors.filter((error) => error !== undefined).map((error) => error.name),
                [],
            );
            for (const token of tokens) {
                assert.equal(endpoint.callsOf("SendTaskSuccess", token).filter((call) => !call.throttled).length, 1, token);
            }

            // The same burst without retries loses records: the retries are what saves them.
            endpoint.reset();
            endpoint.throttle = { capacity, refillPerSecond: 500, clock: burstClock(capacity) };
            const unretried = await sendAll(client({ maxAttempts: 1 }), tokens, MAX_CALLS_IN_FLIGHT);
            assert.ok(unretried.some((error) => error?.name === "ThrottlingException"));
        });
    });

    describe("warm-up", () => {
        it("sends no request: the command is answered inside the process, after signing", async () => {
            const warmed = client();
            const signed: { target: unknown; authorization: unknown; body: unknown }[] = [];
            warmed.middlewareStack.addRelativeTo(
                (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
                    const request = args.request as { headers: Record<string, string>; body: string | Uint8Array };
                    const body = typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body);
                    signed.push({ target: request.headers["x-amz-target"], authorization: request.headers.authorization, body });
                    return next(args);
                },
                { relation: "after", toMiddleware: "httpSigningMiddleware", name: "recordSigned" },
            );
            await warmUpStepFunctionsClient(warmed);
            await sleep(50);
            assert.equal(endpoint.requests, 0, "the warm-up sent a request");
            assert.equal(endpoint.calls.length, 0);
            // It went through serialization and signing, as a first call would.
            assert.equal(signed.length, 1);
            assert.equal(signed[0].target, "AWSStepFunctions.SendTaskSuccess");
            assert.match(String(signed[0].authorization), /^AWS4-HMAC-SHA256 Credential=AKIDLOOPBACKEXAMPLE\//);
            assert.equal(JSON.parse(String(signed[0].body)).taskToken, WARM_UP_TOKEN);
            // And it loaded the HTTP handler's agent, which the first call would otherwise do.
            const handler = warmed.config.requestHandler as unknown as { httpHandlerConfigs(): { httpAgent?: unknown } };
            assert.ok(handler.httpHandlerConfigs().httpAgent !== undefined, "the HTTP handler was not warmed");

            // The client works as before afterwards: the answering middleware was the command's own.
            await warmed.send(new SendTaskSuccessCommand({ taskToken: "after-warm-up", output: "{}" }));
            assert.deepEqual(
                endpoint.calls.map((call) => call.input.taskToken),
                ["after-warm-up"],
            );
        });

        it("is done by the bundled function as it loads, with no request to Step Functions", async () => {
            const { restoreEnv } = loadBundledHandler(endpoint.url, { TASK_QUEUE_ARN });
            try {
                await sleep(100);
                assert.equal(endpoint.requests, 0);
            } finally {
                restoreEnv();
            }
        });
    });

    describe("bundled function, large batch", () => {
        it("returns every token of a batch of 1000 at 25 ms with no failure", async function () {
            // Needs the core's bound on calls in flight (MAX_CALLS_IN_FLIGHT): without it every
            // record is sent at once into MAX_SOCKETS sockets, and the records still queued for a
            // socket after CONNECTION_TIMEOUT_MS fail; this passes then only while 1000 calls at
            // 25 ms fit into that second on the machine that runs it.
            this.timeout(15_000);
            endpoint.latencyMs = 25;
            const { handler, restoreEnv } = loadBundledHandler(endpoint.url, { TASK_QUEUE_ARN });
            try {
                const records = Array.from({ length: 1000 }, (_, i) => sqsRecord(`m${i}`, callbackMessage(`large-${i}`)));
                const started = Date.now();
                const { result, lines } = await captureLogs(() => handler({ Records: records }, lambdaContext(900_000)));
                const failed = result.batchItemFailures.length;
                assert.equal(
                    failed,
                    0,
                    `${failed} of 1000 records failed; the first error: ${lines.find((line) => line.includes('"ERROR"'))}`,
                );
                assert.equal(endpoint.callsOf("SendTaskSuccess").length, 1000);
                assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
            } finally {
                restoreEnv(); // not before: the client reads its credentials from the environment on its first use
            }
        });
    });
});
