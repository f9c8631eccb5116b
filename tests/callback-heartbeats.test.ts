/**
 * Heartbeats while the work runs, and the hand-off to an external process: the record handler
 * with the real SDK client against the loopback endpoint.
 */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { createRecordHandler, handOff, TaskGoneError, type TaskWork } from "../functions/callback/callback";
import { LOGGED_CAUSE_CHARACTERS, tokenFingerprint } from "../functions/callback/error-text";
import { HEARTBEATS_PER_INTERVAL, heartbeatIntervalMs } from "../functions/callback/heartbeats";
import { functionSettings } from "../functions/callback/settings";
import { handOffToPartner } from "../local/handoff-function";
import { PARTNER_URL_VARIABLE } from "../local/partner-api";
import { reply, StepFunctionsEndpoint, type EndpointCall, type Reply } from "../local/step-functions-endpoint";
import { useCoreLoopback } from "./support/loopback-client";
import { callbackMessage, RecordingLogger, sqsRecord } from "./support/sqs-events";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HEARTBEAT_SECONDS = 1;
const INTERVAL = heartbeatIntervalMs(HEARTBEAT_SECONDS);

function byToken(call: EndpointCall): Reply {
    const token = String(call.input.taskToken);
    if (call.action === "SendTaskHeartbeat") {
        if (token.startsWith("gone")) return reply.error("TaskTimedOut", 400, "Task Timed Out");
        if (token.startsWith("stalled")) return reply.stall();
        if (token.startsWith("flaky") && call.attempt <= 3) return reply.error("AccessDeniedException", 400, "not yet");
    }
    return reply.ok();
}

describe("heartbeats and hand-off", () => {
    const suite = useCoreLoopback({ respond: byToken });
    let endpoint: StepFunctionsEndpoint;
    let client: SFNClient;
    let logger: RecordingLogger;
    beforeEach(() => ({ endpoint, client, logger } = suite));
    const sleepingWork =
        (ms: number): TaskWork =>
        async () => {
            await sleep(ms);
            return { done: true };
        };

    it(`sends ${HEARTBEATS_PER_INTERVAL} heartbeats per HeartbeatSeconds while the work runs, and none once it ended`, async () => {
        // The work ends once the endpoint has seen the heartbeats (an event, not a time that a
        // loaded machine's slower round trips could outrun); their spacing is checked from their arrival.
        const arrivals: number[] = [];
        let seenAll!: () => void;
        const heartbeatsSeen = new Promise<void>((resolve) => (seenAll = resolve));
        endpoint.respond = (call) => {
            if (call.action === "SendTaskHeartbeat" && arrivals.push(performance.now()) === HEARTBEATS_PER_INTERVAL) seenAll();
            return byToken(call);
        };
        try {
            const work: TaskWork = async () => {
                await Promise.race([heartbeatsSeen, sleep(HEARTBEAT_SECONDS * 1000 * 5)]);
                return { done: true };
            };
            const started = performance.now();
            const handle = createRecordHandler({ client, logger, heartbeatSeconds: HEARTBEAT_SECONDS, work });
            assert.equal(await handle(sqsRecord("m1", callbackMessage("alive-token"))), "succeeded");
            await sleep(INTERVAL * 1.5); // none once it ended
            const actions = endpoint.calls.map((call) => call.action);
            assert.deepEqual(actions, [...Array.from({ length: HEARTBEATS_PER_INTERVAL }, () => "SendTaskHeartbeat"), "SendTaskSuccess"]);
            // Each an interval after the one before (timers do not fire early; 1 ms for rounding), and
            // each well within HeartbeatSeconds of it, which is what keeps the task alive.
            const times = [started, ...arrivals];
            const gaps = arrivals.map((at, i) => at - times[i]);
            assert.ok(
                gaps.every((gap) => gap >= INTERVAL - 1 && gap < HEARTBEAT_SECONDS * 1000),
                `gaps of ${gaps.map((gap) => gap.toFixed(0)).join(", ")} ms`,
            );
        } finally {
            endpoint.respond = byToken;
        }
    });

    it("sends no heartbeat before its interval, however long (longer than a timer can wait)", async () => {
        // The stack allows HeartbeatSeconds up to a year; a third of 10^7 s overflowed setTimeout,
        // which then fires after 1 ms: a heartbeat every round trip while the work ran.
        assert.ok(heartbeatIntervalMs(10_000_000) <= 2 ** 31 - 1);
        const handle = createRecordHandler({ client, logger, heartbeatSeconds: 10_000_000, work: sleepingWork(200) });
        assert.equal(await handle(sqsRecord("m1", callbackMessage("alive-token"))), "succeeded");
        assert.deepEqual(
            endpoint.calls.map((call) => call.action),
            ["SendTaskSuccess"],
        );
    });

    it("stops a heartbeat still in flight when the work ends: it holds no call slot from the callback", async () => {
        // One call in flight at a time; the heartbeat never answers, the work ends meanwhile.
        const handle = createRecordHandler({
            client,
            logger,
            heartbeatSeconds: HEARTBEAT_SECONDS,
            maxCallsInFlight: 1,
            work: sleepingWork(INTERVAL * 1.5),
        });
        const deadline = AbortSignal.timeout(INTERVAL * 6);
        const started = performance.now();
        assert.equal(await handle(sqsRecord("m1", callbackMessage("stalled-token")), { signal: deadline }), "succeeded");
        assert.ok(performance.now() - started < INTERVAL * 3, `answered after ${(performance.now() - started).toFixed(0)} ms`);
        assert.deepEqual(
            endpoint.calls.map((call) => call.action),
            ["SendTaskHeartbeat", "SendTaskSuccess"],
        );
    });

    it("sends no heartbeat when the task has no HeartbeatSeconds", async () => {
        const handle = createRecordHandler({ client, logger, work: sleepingWork(INTERVAL * 2) });
        assert.equal(await handle(sqsRecord("m1", callbackMessage("alive-token"))), "succeeded");
        assert.deepEqual(
            endpoint.calls.map((call) => call.action),
            ["SendTaskSuccess"],
        );
    });

    it("stops the work when a heartbeat is answered with TaskTimedOut, and acknowledges the record without a callback", async () => {
        let reason: unknown;
        const work: TaskWork = (_message, { signal }) =>
            new Promise((_resolve, reject) => {
                signal.addEventListener("abort", () => {
                    reason = signal.reason;
                    reject(signal.reason as Error);
                });
            });
        const handle = createRecordHandler({ client, logger, heartbeatSeconds: HEARTBEAT_SECONDS, work });
        const started = performance.now();
        assert.equal(await handle(sqsRecord("m1", callbackMessage("gone-token"))), "gone");
        assert.ok(performance.now() - started < INTERVAL * 2, "stopped at the first heartbeat");
        assert.ok(reason instanceof TaskGoneError);
        assert.match((reason as Error).message, /TaskTimedOut/);
        assert.deepEqual(
            endpoint.calls.map((call) => call.action),
            ["SendTaskHeartbeat"],
        );
        assert.deepEqual(logger.levels(), ["warn"]);
    });

    it("keeps the work going when a heartbeat fails for another reason, and says so", async () => {
        const handle = createRecordHandler({ client, logger, heartbeatSeconds: HEARTBEAT_SECONDS, work: sleepingWork(INTERVAL * 2.5) });
        assert.equal(await handle(sqsRecord("m1", callbackMessage("flaky-token"))), "succeeded");
        const heartbeatWarnings = logger.lines.filter((line) => /heartbeat failed/.test(line.message));
        assert.equal(heartbeatWarnings.length, 2);
        assert.equal(heartbeatWarnings[0].fields.error, "AccessDeniedException");
    });

    it("acknowledges a handed-off task without calling back, and logs where it went", async () => {
        const handle = createRecordHandler({
            client,
            logger,
            heartbeatSeconds: HEARTBEAT_SECONDS,
            work: async () => handOff("sent to the partner API"),
        });
        assert.equal(await handle(sqsRecord("m1", callbackMessage("handoff-token"))), "handed-off");
        await sleep(INTERVAL * 1.5);
        assert.deepEqual(endpoint.calls, [], "no callback and no heartbeat: the external process sends them");
        assert.deepEqual(logger.levels(), ["info"]);
        assert.equal(logger.lines[0].fields.handOff, "sent to the partner API");
        assert.equal(logger.lines[0].fields.taskToken, tokenFingerprint("handoff-token"));
    });

    it("keeps the token out of a hand-off note that repeats it", async () => {
        const token = "AAAAKgAAAAIAAAAAAAAAA".repeat(20);
        const handle = createRecordHandler({
            client,
            logger,
            work: async (message) => handOff(`stored ${message.TaskToken} for approval`),
        });
        await handle(sqsRecord("m1", callbackMessage(token)));
        assert.equal(logger.lines[0].fields.handOff, `stored [task token ${tokenFingerprint(token)}] for approval`);
    });

    it("logs a hand-off note of any size cut short, with the token kept out", async () => {
        const token = "AAAAKgAAAAIAAAAAAAAAA".repeat(20);
        const handle = createRecordHandler({ client, logger, work: async () => handOff("n".repeat(10_000_000)) });
        // CPU time, not wall time: a loaded machine stretches the wall clock, not the work done.
        // Redacting the whole 10 MB before cutting it short takes several times this bound.
        const cpu = process.cpuUsage();
        assert.equal(await handle(sqsRecord("m1", callbackMessage(token))), "handed-off");
        const { user, system } = process.cpuUsage(cpu);
        assert.ok((user + system) / 1000 < 100, `took ${((user + system) / 1000).toFixed(0)} ms of CPU`);
        assert.equal(String(logger.lines[0].fields.handOff).length, LOGGED_CAUSE_CHARACTERS);
    });

    it("logs a hand-off whose note cannot be shown as text, and acknowledges it: a redelivery would hand the task off again", async () => {
        const handle = createRecordHandler({
            client,
            logger,
            // A JavaScript work may pass anything; String() of an object without a prototype throws.
            work: async () => handOff(Object.create(null) as string),
        });
        assert.equal(await handle(sqsRecord("m1", callbackMessage("handoff-token"))), "handed-off");
        assert.deepEqual(logger.levels(), ["info"]);
        assert.equal(logger.lines[0].fields.handOff, "(a note that cannot be shown as text)");
    });

    describe("the handoff scenario's work (local/handoff-function.ts)", () => {
        const saved = process.env[PARTNER_URL_VARIABLE];
        afterEach(() => {
            if (saved === undefined) delete process.env[PARTNER_URL_VARIABLE];
            else process.env[PARTNER_URL_VARIABLE] = saved;
        });
        const failureOf = async (url: string) => {
            process.env[PARTNER_URL_VARIABLE] = url;
            const handle = createRecordHandler({ client, logger, work: handOffToPartner });
            assert.equal(await handle(sqsRecord("m1", callbackMessage("handoff-token"))), "failed");
            const [call] = endpoint.calls;
            assert.equal(call.action, "SendTaskFailure");
            return { error: call.input.error, cause: call.input.cause };
        };

        it("a partner that refuses the task fails it, saying so", async () => {
            const server = http.createServer((_req, res) => res.writeHead(500).end());
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            try {
                const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
                assert.deepEqual(await failureOf(url), { error: "Error", cause: "the partner's API refused the task: HTTP 500" });
            } finally {
                server.closeAllConnections();
                server.close();
            }
        });

        it('a partner that cannot be reached fails the task with why, not fetch\'s bare "fetch failed"', async () => {
            const server = http.createServer();
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
            await new Promise((resolve) => server.close(resolve));
            const { cause } = await failureOf(url);
            assert.equal(cause, `could not reach the partner's API at ${url} (ECONNREFUSED): the task was not handed off`);
        });
    });

    describe("the function's environment", () => {
        it("reads HEARTBEAT_SECONDS and TASK_QUEUE_ARN", () => {
            assert.deepEqual(functionSettings({ TASK_QUEUE_ARN: "arn:q", HEARTBEAT_SECONDS: "30" }), {
                taskQueueArn: "arn:q",
                heartbeatSeconds: 30,
                problems: [],
            });
            assert.deepEqual(functionSettings({ TASK_QUEUE_ARN: "arn:q" }), { taskQueueArn: "arn:q", problems: [] });
        });
        it("names what is wrong instead of throwing", () => {
            const settings = functionSettings({ HEARTBEAT_SECONDS: "1.5" });
            assert.equal(settings.heartbeatSeconds, undefined);
            assert.deepEqual(settings.problems, [
                "TASK_QUEUE_ARN is not set: every record is refused",
                'HEARTBEAT_SECONDS is "1.5", not a whole number of seconds of at least 1: no heartbeats are sent',
            ]);
            assert.equal(functionSettings({ HEARTBEAT_SECONDS: "0" }).problems.length, 2);
        });
    });
});
