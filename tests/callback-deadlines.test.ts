/**
 * Deadlines: whatever a record still awaits (a stalled call, an answer that trickles in, a work
 * that ignores its signal, a wait for a free call slot), the invocation answers with a partial
 * batch response naming exactly the unfinished records, before Lambda's own timeout. Run through
 * the real SDK client against the loopback endpoint, and through the bundled archive.
 */
import { strict as assert } from "node:assert";
import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { SQSEvent } from "aws-lambda";
import { processBatch, type RecordHandler } from "../functions/callback/batch";
import { createRecordHandler, type TaskWork } from "../functions/callback/callback";
import { deadlineMarginMs, invocationDeadline, InvocationDeadlineError, untilAborted } from "../functions/callback/deadline";
import { captureLogs, lambdaContext, type CallbackHandler } from "../local/bundled-handler";
import { reply, StepFunctionsEndpoint, type EndpointCall, type Reply } from "../local/step-functions-endpoint";
import { useBundledLoopback, useCoreLoopback } from "./support/loopback-client";
import { callbackMessage, RecordingLogger, sqsRecord } from "./support/sqs-events";

function byToken(call: EndpointCall): Reply {
    const token = String(call.input.taskToken);
    if (token.startsWith("stalled")) return reply.stall();
    if (token.startsWith("trickle")) return reply.trickle(100);
    return reply.ok();
}

const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
    response.batchItemFailures.map((f) => f.itemIdentifier).sort();

async function timed<T>(action: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const start = performance.now();
    const result = await action();
    return { result, ms: performance.now() - start };
}

describe("deadlines", () => {
    describe("the invocation's clock", () => {
        it("keeps a margin of a tenth of the time left, between 100 ms and 1 s", () => {
            assert.equal(deadlineMarginMs(500), 100);
            assert.equal(deadlineMarginMs(3000), 300);
            assert.equal(deadlineMarginMs(900_000), 1000);
        });
        it("aborts with an InvocationDeadlineError a margin before the end", async () => {
            const deadline = invocationDeadline({ getRemainingTimeInMillis: () => 300 });
            assert.equal(deadline.budgetMs, 300 - deadlineMarginMs(300));
            assert.equal(deadline.signal.aborted, false);
            await new Promise((resolve) => setTimeout(resolve, deadline.budgetMs + 50));
            assert.ok(deadline.signal.reason instanceof InvocationDeadlineError);
            deadline.clear();
        });
        it("leaves no listener on a signal once nothing waits on it (Node keeps a signal made by AbortSignal.any alive while one listens)", async () => {
            const never = AbortSignal.any([new AbortController().signal]);
            await Promise.all([
                untilAborted(Promise.resolve(1), never),
                untilAborted(Promise.reject(new Error("no")), never).catch(() => 0),
            ]);
            assert.equal(getEventListeners(never, "abort").length, 0);
        });
        it("is already over when less than the margin is left, and absent when the context gives no figure", () => {
            assert.equal(invocationDeadline({ getRemainingTimeInMillis: () => 50 }).signal.aborted, true);
            const none = invocationDeadline({ getRemainingTimeInMillis: () => Number.NaN });
            assert.equal(none.budgetMs, Number.POSITIVE_INFINITY);
            none.clear();
        });
    });

    describe("a record handler called without an invocation", () => {
        it("has no deadline, and costs what a record with one costs, garbage collection included", async () => {
            // One never-aborting signal shared by every such record piled up in Node's bookkeeping of
            // AbortSignal.any, whose clean-up after a collection then grew with every record handled.
            setFlagsFromString("--expose-gc");
            const gc = runInNewContext("gc") as () => void;
            const instant = { send: async () => ({}) } as unknown as SFNClient;
            const handle = createRecordHandler({ client: instant, logger: new RecordingLogger() });
            const record = sqsRecord("m1", callbackMessage("token-1"));
            const handled = async (withInvocation: boolean, perRound = 5000) => {
                const { ms } = await timed(async () => {
                    for (let round = 0; round < 2; round++) {
                        for (let i = 0; i < perRound; i++) {
                            await (withInvocation ? handle(record, { signal: new AbortController().signal }) : handle(record));
                        }
                        gc();
                        await new Promise((resolve) => setTimeout(resolve, 10)); // the collection's clean-up callbacks run
                    }
                });
                return ms;
            };
            // Warm: compiled before it is measured. A tenth of the records does it; the shared
            // signal's cost grows with the records, so the measured runs keep all 10000.
            await handled(true, 500);
            const [withOne, without] = [await handled(true), await handled(false)];
            assert.ok(
                without < 2 * withOne,
                `10000 records took ${without.toFixed(0)} ms without an invocation, ${withOne.toFixed(0)} ms with one`,
            );
        });
    });

    describe("bundled function", () => {
        const suite = useBundledLoopback({ respond: byToken });
        let endpoint: StepFunctionsEndpoint;
        let handler: CallbackHandler;
        beforeEach(() => ({ endpoint, handler } = suite));

        // The reproductions: a stalled call took 6 s with 3 s left; an answer that trickles in, 30 s.
        for (const stuck of ["stalled", "trickle"]) {
            it(`answers by the deadline when a call is ${stuck === "stalled" ? "stalled" : "answered a byte at a time"}, naming only that record`, async () => {
                const event: SQSEvent = {
                    Records: [sqsRecord("good", callbackMessage("good-token")), sqsRecord(stuck, callbackMessage(`${stuck}-token`))],
                };
                const { result, ms } = await timed(() => captureLogs(() => handler(event, lambdaContext(1500))));
                assert.deepEqual(failedIds(result.result), [stuck]);
                assert.ok(ms < 1500, `answered after ${ms.toFixed(0)} ms; the invocation had 1500 ms`);
                assert.ok(ms >= 1500 - deadlineMarginMs(1500) - 50, `gave up after ${ms.toFixed(0)} ms, before its deadline`);
                const logged = result.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
                const ranOut = logged.filter((line) => /time ran out/.test(String(line.message)));
                assert.equal(ranOut.length, 1, "one line says which records were unfinished");
                assert.deepEqual(ranOut[0].messageIds, [stuck]);
            });
        }

        it("starts nothing when the invocation has less time left than its margin", async () => {
            const event: SQSEvent = { Records: [sqsRecord("late", callbackMessage("good-token"))] };
            const { result } = await captureLogs(() => handler(event, lambdaContext(50)));
            assert.deepEqual(failedIds(result), ["late"]);
            assert.equal(endpoint.calls.length, 0);
        });
    });

    describe("core with the real SDK client", () => {
        const suite = useCoreLoopback({ respond: byToken, latencyMs: 100 });
        let endpoint: StepFunctionsEndpoint;
        let client: SFNClient;
        let logger: RecordingLogger;
        beforeEach(() => ({ endpoint, client, logger } = suite));

        it("stops waiting for a work that ignores its signal: the record goes back, the others are answered", async () => {
            let signalReason: unknown;
            let abortedAt = Number.NaN;
            const work: TaskWork = async (message, { signal }) => {
                if (message.TaskToken === "slow-token") {
                    signal.addEventListener("abort", () => {
                        signalReason = signal.reason;
                        abortedAt = performance.now();
                    });
                    return new Promise(() => undefined); // never settles, ignores the signal
                }
                return { ok: true };
            };
            const handle = createRecordHandler({ client, logger, work });
            const event: SQSEvent = {
                Records: [sqsRecord("slow", callbackMessage("slow-token")), sqsRecord("fast", callbackMessage("fast-token"))],
            };
            const invocationMs = 1000;
            const started = performance.now();
            const result = await processBatch(event, lambdaContext(invocationMs), handle, logger);
            const answeredAt = performance.now();
            assert.deepEqual(failedIds(result), ["slow"]);
            // Told why, with the budget taken from the invocation: the time it had left (a few ms
            // less than 1000 by the time the batch began) less the margin, so that the answer is due
            // before Lambda's own end. Told to stop at the deadline (not before: 2 ms for a timer
            // that fires early against performance.now), and answered at once after it, without
            // the work. A loaded machine fires the timer itself late (a parallel test run has seen
            // 170 ms), which is not this code's doing: what follows the deadline is measured from it.
            assert.ok(signalReason instanceof InvocationDeadlineError, "the work was told why it must stop");
            const dueMs = invocationMs - deadlineMarginMs(invocationMs);
            assert.ok(signalReason.budgetMs <= dueMs && signalReason.budgetMs >= dueMs - 20, `a budget of ${signalReason.budgetMs} ms`);
            assert.ok(abortedAt - started >= signalReason.budgetMs - 2, `told to stop after ${(abortedAt - started).toFixed(1)} ms`);
            assert.ok(
                answeredAt - abortedAt < deadlineMarginMs(invocationMs),
                `answered ${(answeredAt - abortedAt).toFixed(0)} ms after the deadline`,
            );
            assert.deepEqual(
                endpoint.calls.map((call) => call.input.taskToken),
                ["fast-token"],
            );
        });

        it("answers a batch of 10000 waiting for call slots by its deadline, with one listener on its signal", async () => {
            // Node's addEventListener looks through a target's listeners before adding one: one per
            // record and per queued call on the invocation's signal blocked the event loop for 1.5 s.
            let invocationSignal: AbortSignal | undefined;
            let listeners = 0;
            const never = {
                send: (_command: unknown, options: { abortSignal: AbortSignal }) => {
                    listeners = Math.max(listeners, getEventListeners(invocationSignal!, "abort").length);
                    return new Promise((_resolve, reject) =>
                        options.abortSignal.addEventListener("abort", () => reject(new Error("aborted"))),
                    );
                },
            } as unknown as SFNClient;
            const watched =
                (handle: RecordHandler): RecordHandler =>
                (record, invocation) => {
                    invocationSignal = invocation?.signal;
                    return handle(record, invocation);
                };
            const batch = async (size: number, invocationMs: number) => {
                const handle = createRecordHandler({ client: never, logger, maxCallsInFlight: 50 });
                const event: SQSEvent = {
                    Records: Array.from({ length: size }, (_, i) => sqsRecord(`m${i}`, callbackMessage(`token-${i}`))),
                };
                const before = process.cpuUsage();
                const result = await processBatch(event, lambdaContext(invocationMs), watched(handle), logger);
                const cpu = process.cpuUsage(before);
                return { result, cpuMs: (cpu.user + cpu.system) / 1000 };
            };
            await batch(1000, 300); // the same code, compiled and warm before it is measured
            listeners = 0;
            const invocationMs = 2000;
            const { result, cpuMs } = await batch(10_000, invocationMs);
            // Every record was still waiting at the deadline, and the batch was answered naming each.
            assert.equal(result.batchItemFailures.length, 10_000);
            // The core's one, and one per call in flight (the stub's, as the SDK adds its own).
            assert.ok(listeners <= 1 + 50, `${listeners} listeners on the invocation's signal`);
            // What blocked the event loop was work: this process's CPU time, which (unlike elapsed
            // time) does not grow when other processes share the cores. About 0.5 s here; 2 s and
            // more with a listener per waiter, and then the answer came after Lambda's end.
            assert.ok(cpuMs < invocationMs / 2, `10000 records cost ${cpuMs.toFixed(0)} ms of CPU; the invocation had ${invocationMs} ms`);
        });

        it("never sends a call whose turn comes after the deadline", async () => {
            // One call at a time, 100 ms each: in 700 ms only some of 20 records can be answered.
            const handle = createRecordHandler({ client, logger, maxCallsInFlight: 1 });
            const event: SQSEvent = { Records: Array.from({ length: 20 }, (_, i) => sqsRecord(`m${i}`, callbackMessage(`token-${i}`))) };
            const result = await processBatch(event, lambdaContext(700), handle, logger);
            await new Promise((resolve) => setTimeout(resolve, 300)); // anything still queued would have gone out by now
            const answered = 20 - result.batchItemFailures.length;
            // At most one per 100 ms within the 700 ms; how many fewer depends on how busy the machine
            // is (a parallel test run can starve this worker), which is not what this test is about.
            assert.ok(answered <= 7, `${answered} records answered`);
            assert.ok(endpoint.calls.length <= answered + 1, `${endpoint.calls.length} calls for ${answered} answered records`);
            const unfinished = logger.lines.filter((line) => /time ran out/.test(line.message));
            assert.equal(unfinished.length, 1);
            assert.equal(unfinished[0].fields.unfinished, result.batchItemFailures.length);
        });
    });
});
