/**
 * The function's execution environments (`local/execution-environments.ts`): worker threads with
 * their own copy of the code, environment and output, one batch at a time, reused warm, scaled up
 * to a limit; errors, crashes and timeouts as Lambda has them. Small handlers written here stand in
 * for the bundle, so that each behaviour is seen alone.
 */
import { strict as assert } from "node:assert";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import {
    EnvironmentPool,
    InvocationError,
    LAMBDA_INIT_TIMEOUT_MS,
    LineSplitter,
    type EnvironmentSettings,
} from "../local/execution-environments";

/** A handler that reports where it ran: its thread, what its process.env says, its remaining time. */
const REPORTING_HANDLER = `
const { threadId } = require("node:worker_threads");
let inFlight = 0, mostInFlight = 0, invocations = 0;
exports.handler = async (event, context) => {
    inFlight++; invocations++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    const body = event.Records[0].body;
    console.log(JSON.stringify({ level: "INFO", body, name: process.env.ENVIRONMENT_NAME }));
    console.error(JSON.stringify({ level: "WARN", body }));
    const remaining = context.getRemainingTimeInMillis();
    if (body === "mark") globalThis.marked = true;
    if (body === "crash-later") setTimeout(() => { throw new Error("uncaught after the invocation"); }, 50);
    if (body === "partial") process.stdout.write("no line end after this");
    // Many small arrays: a worker that overruns its heap limit growing one large array can abort the
    // whole process instead of ending the worker (nodejs/node#47224): one run of five aborted so here.
    if (body === "hoard") { globalThis.hoard = []; for (let n = 0; n < 10000; n++) globalThis.hoard.push(Array.from({ length: 10000 }, (_, i) => ({ i }))); }
    if (body === "busy") for (const end = Date.now() + 60000; Date.now() < end; );
    if (body === "throw") { inFlight--; throw new TypeError("the work failed"); }
    if (body === "crash") setTimeout(() => { throw new Error("uncaught in the function"); });
    if (body === "crash" || body === "hang") await new Promise(() => setInterval(() => undefined, 1000));
    await new Promise((resolve) => setTimeout(resolve, Number(body) || 0));
    if (body === "loud") for (let i = 0; i < 500; i++) console.log(JSON.stringify({ level: "INFO", line: i, padding: "x".repeat(200) }));
    inFlight--;
    return { batchItemFailures: [], threadId, mostInFlight, invocations, remaining, name: process.env.ENVIRONMENT_NAME, marked: globalThis.marked === true };
};
`;

interface Report extends SQSBatchResponse {
    threadId: number;
    mostInFlight: number;
    invocations: number;
    remaining: number;
    name?: string;
    /** Whether this environment's globalThis was marked by an earlier invocation. */
    marked: boolean;
}

const event = (body: string) => ({ Records: [{ body }] }) as unknown as SQSEvent;

function pool(maxEnvironments: number, settings: Partial<EnvironmentSettings> = {}) {
    const lines: string[] = [];
    const environments = new EnvironmentPool(
        {
            code: REPORTING_HANDLER,
            filename: "/var/task/index.js",
            env: { ENVIRONMENT_NAME: "function-env" },
            timeoutMs: 5000,
            onLogLine: (line) => lines.push(line),
            ...settings,
        },
        maxEnvironments,
    );
    return { environments, lines, invoke: (body: string) => environments.invoke(event(body)) as Promise<Report> };
}

describe("execution environments", () => {
    const opened: EnvironmentPool[] = [];
    const open = (...args: Parameters<typeof pool>) => {
        const made = pool(...args);
        opened.push(made.environments);
        return made;
    };
    afterEach(async () => {
        await Promise.all(opened.splice(0).map((environments) => environments.close()));
    });

    it("runs the function in a thread of its own, with its own environment variables and output, the process's left alone", async () => {
        const { invoke, lines } = open(1);
        const report = await invoke("0");
        assert.notEqual(report.threadId, 0, "not the main thread");
        assert.equal(report.name, "function-env");
        assert.equal(process.env.ENVIRONMENT_NAME, undefined, "the main process's environment is not the function's");
        // Everything the invocation wrote, on stdout and stderr, is there when it returns.
        assert.deepEqual(lines.map((line) => JSON.parse(line) as unknown).sort(), [
            { level: "INFO", body: "0", name: "function-env" },
            { level: "WARN", body: "0" },
        ]);
    });

    it("an invocation returns once its last log line has arrived", async () => {
        const { invoke, lines } = open(1);
        await invoke("loud");
        assert.equal(lines.filter((line) => line.includes('"line":499')).length, 1, `${lines.length} lines`);
    });

    it("gives an environment one batch at a time, reuses it warm and starts no more than the limit", async () => {
        const limit = 3;
        const { environments, invoke } = open(limit);
        const reports = await Promise.all(Array.from({ length: 12 }, () => invoke("20")));
        assert.deepEqual(new Set(reports.map((r) => r.mostInFlight)), new Set([1]), "never two batches at once in one environment");
        assert.equal(new Set(reports.map((r) => r.threadId)).size, limit);
        assert.deepEqual(environments.figures, { started: limit, peak: limit, discarded: 0 });
        // Each environment kept its module's state from batch to batch (its own count of the
        // invocations it ran): the counts of the environments add up to every invocation. How
        // many each ran depends on which was free first (an environment still starting on a
        // loaded machine takes fewer): not asserted, it was what failed under load.
        const counts = new Map<number, number>();
        for (const r of reports) counts.set(r.threadId, Math.max(counts.get(r.threadId) ?? 0, r.invocations));
        assert.equal(
            [...counts.values()].reduce((sum, n) => sum + n, 0),
            reports.length,
            "each warm environment counted its own",
        );
    });

    it("an invocation whose output does not end with a line end returns, its last line whole", async () => {
        const { environments, invoke, lines } = open(1, { timeoutMs: 2000 });
        await invoke("partial");
        assert.ok(lines.includes("no line end after this"), JSON.stringify(lines));
        assert.ok(!lines.some((line) => line.includes("\u0000")), "no end marker in a log line");
        assert.deepEqual(environments.figures, { started: 1, peak: 1, discarded: 0 }, "not timed out");
    });

    it("passes the time left before the function's timeout, counting down from the invocation", async () => {
        const { invoke } = open(1, { timeoutMs: 3000 });
        const { remaining } = await invoke("0");
        assert.ok(remaining > 2000 && remaining <= 3000, `remaining ${remaining} ms`);
    });

    it("an invocation that throws is an invocation error; the environment stays warm", async () => {
        const { environments, invoke } = open(1);
        await assert.rejects(
            invoke("throw"),
            (e: unknown) => e instanceof InvocationError && e.name === "TypeError" && e.message === "the work failed",
        );
        await invoke("0");
        assert.deepEqual(environments.figures, { started: 1, peak: 1, discarded: 0 });
    });

    it("a crash of the function is an invocation error, not a crash of the run; the environment is replaced", async () => {
        const { environments, invoke } = open(1);
        const before = (await invoke("0")).threadId;
        await assert.rejects(
            invoke("crash"),
            (e: unknown) => e instanceof InvocationError && /crashed: uncaught in the function/.test(e.message),
        );
        const after = (await invoke("0")).threadId;
        assert.notEqual(after, before);
        assert.deepEqual(environments.figures, { started: 2, peak: 1, discarded: 1 });
    });

    it("an environment that crashes between invocations is replaced before the next batch, which it does not fail", async () => {
        const { environments, invoke } = open(1);
        const before = (await invoke("crash-later")).threadId;
        await new Promise((resolve) => setTimeout(resolve, 300)); // the leaked timer throws meanwhile
        const after = (await invoke("0")).threadId;
        assert.notEqual(after, before);
        assert.deepEqual(environments.figures, { started: 2, peak: 1, discarded: 1 });
    });

    it("an invocation past the function's timeout fails as Lambda's does, and its environment is discarded", async () => {
        const { environments, invoke } = open(1, { timeoutMs: 200 });
        const started = Date.now();
        await assert.rejects(
            invoke("hang"),
            (e: unknown) =>
                e instanceof InvocationError && e.name === "Sandbox.Timedout" && e.message === "Task timed out after 0.20 seconds",
        );
        assert.ok(Date.now() - started < 2000);
        await invoke("0");
        assert.deepEqual(environments.figures, { started: 2, peak: 1, discarded: 1 });
    });

    it("a function stuck in a busy loop is still timed out, and its environment ended", async () => {
        const { environments, invoke } = open(1, { timeoutMs: 300 });
        const started = Date.now();
        await assert.rejects(invoke("busy"), (e: unknown) => e instanceof InvocationError && e.name === "Sandbox.Timedout");
        assert.ok(Date.now() - started < 5000, `timed out after ${Date.now() - started} ms`);
        await invoke("0");
        assert.deepEqual(environments.figures, { started: 2, peak: 1, discarded: 1 });
    });

    it("what one environment puts on globalThis is not seen by another", async () => {
        const { invoke } = open(2);
        const [marker] = await Promise.all([invoke("mark"), invoke("50")]);
        const reports = await Promise.all([invoke("50"), invoke("50")]);
        assert.equal(new Set(reports.map((r) => r.threadId)).size, 2, "both environments answered");
        for (const report of reports) assert.equal(report.marked, report.threadId === marker.threadId, `thread ${report.threadId}`);
    });

    it("an init that never ends (a busy loop at module load) fails the invocation at the init limit; the environment is ended", async () => {
        const initTimeoutMs = 300;
        const { environments, invoke } = open(1, {
            code: `for (const end = Date.now() + 60000; Date.now() < end; ); ${REPORTING_HANDLER}`,
            initTimeoutMs,
        });
        const started = Date.now();
        await assert.rejects(
            invoke("0"),
            (e: unknown) =>
                e instanceof InvocationError && e.name === "Sandbox.Timedout" && /init did not finish within 0.30 seconds/.test(e.message),
        );
        assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
        assert.deepEqual(environments.figures, { started: 1, peak: 1, discarded: 1 });
    });

    it("waits Lambda's init limit by default, not the function's timeout", () => {
        const { environments } = open(1);
        assert.equal(environments.initTimeoutMs, LAMBDA_INIT_TIMEOUT_MS);
    });

    it("close() ends every invocation, running or waiting for an environment, with an invocation error", async () => {
        const { environments, invoke } = open(1);
        const invocations = [invoke("hang"), invoke("0"), invoke("0")].map((p) =>
            p.then(
                () => "returned",
                (e: unknown) => (e instanceof InvocationError ? "invocation error" : String(e)),
            ),
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        await environments.close();
        const outcomes = await Promise.race([
            Promise.all(invocations),
            new Promise((resolve) => setTimeout(() => resolve("still pending after close"), 3000)),
        ]);
        assert.deepEqual(outcomes, ["invocation error", "invocation error", "invocation error"]);
    });

    it("a function that uses more memory than it has ends its environment, not the run, as Lambda's does", async () => {
        const memoryMb = 64;
        const { environments, invoke } = open(1, { memoryMb, timeoutMs: 30_000 });
        await assert.rejects(
            invoke("hoard"),
            (e: unknown) => e instanceof InvocationError && e.name === "Runtime.ExitError" && /memory/.test(e.message),
        );
        await invoke("0");
        assert.deepEqual(environments.figures, { started: 2, peak: 1, discarded: 1 });
    });

    it("fails the invocations of code that cannot load, naming why", async () => {
        const { invoke } = open(1, { code: "exports.notTheHandler = 1;" });
        await assert.rejects(invoke("0"), (e: unknown) => e instanceof InvocationError && /exports no handler function/.test(e.message));
    });

    it("splits a stream's chunks into whole lines", () => {
        const lines = new LineSplitter();
        assert.deepEqual(lines.push('{"a":'), []);
        assert.deepEqual(lines.push('1}\n{"b":2}\r\n{"c"'), ['{"a":1}', '{"b":2}']);
        assert.deepEqual(lines.push(":3}\n"), ['{"c":3}']);
    });
});
