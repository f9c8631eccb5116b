/**
 * Execution environments as Lambda keeps them, for the local run: each one is a worker thread that
 * loads its own copy of the bundled function (the archive's `index.js`, compiled in the worker;
 * nothing is written to disk), with its own environment variables and its own stdout and stderr,
 * handles one batch at a time and is reused warm. An invocation that throws, or a worker that
 * crashes, is an invocation error (the caller returns the batch to the queue, as Lambda's event
 * source mapping does); an invocation that outlasts the function's timeout ends its environment,
 * which is discarded, as Lambda does. {@link EnvironmentPool} starts environments on demand, up to a
 * limit (the event source mapping's maximum concurrency).
 */
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { LAMBDA_CONTEXT } from "./bundled-handler";

/**
 * How long Lambda lets a function's init (loading its code, running its module's top level) take
 * on demand: 10 seconds, whatever the function's timeout.
 */
export const LAMBDA_INIT_TIMEOUT_MS = 10_000;

/** What an environment runs and with what. */
export interface EnvironmentSettings {
    /** The bundled function (CommonJS), as the archive's `index.js` holds it. */
    code: string;
    /** The file name the code is compiled under (for stack traces; nothing is written there). */
    filename: string;
    /** The environment variables of the function (its whole `process.env`). */
    env: Record<string, string>;
    /** The function's timeout: an invocation still running after it ends its environment. */
    timeoutMs: number;
    /**
     * How long loading the code may take before the invocation waiting for it fails and the
     * environment is ended (a module that loops at its top level would otherwise hold the batch
     * forever); {@link LAMBDA_INIT_TIMEOUT_MS} when omitted.
     */
    initTimeoutMs?: number;
    /**
     * The function's memory (`functionMemoryMb`), the most its worker's V8 old generation may take: a function
     * that holds more ends its environment (an invocation error, as Lambda's out-of-memory is)
     * instead of growing the run's process without bound. No limit when omitted.
     */
    memoryMb?: number;
    /** Called with each line the function writes to stdout or stderr (its JSON logs). */
    onLogLine?: (line: string) => void;
}

/** The Lambda context's fields that are data; the worker adds `getRemainingTimeInMillis`. */
type ContextFields = Omit<Context, "getRemainingTimeInMillis" | "done" | "fail" | "succeed">;

/** What the main thread sends to an environment: one invocation. */
interface InvokeMessage {
    id: number;
    event: SQSEvent;
    context: ContextFields;
    /** `Date.now()` when the function's time is up. */
    deadline: number;
}

/** What an environment sends back. */
type EnvironmentMessage =
    | { type: "ready" }
    | { type: "result"; id: number; response: SQSBatchResponse }
    | { type: "error"; id: number; name: string; message: string };

/**
 * Written by the worker to stdout and stderr after each invocation: everything the function wrote
 * during the invocation comes before it on the same stream, so an invocation ends only when both
 * markers have arrived and its log lines are all there. NUL characters never occur in a JSON line.
 * Written after a line end of its own: output that does not end with one (`process.stdout.write`
 * of a partial line) would otherwise hide the marker in its last line, and the invocation would
 * wait for its timeout. The empty line this makes otherwise is not a log line.
 */
const END_MARKER = "\u0000invocation-end\u0000";

/**
 * The worker's code (plain JavaScript: a worker does not load ts-node). It compiles the bundle as
 * a CommonJS module, as Lambda's runtime loads `index.js`, then runs one invocation per message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Module = require("node:module");
const path = require("node:path");
const { code, filename } = workerData;
// Compiled by Node's own CommonJS loader, as Lambda's runtime requires index.js: the bundle's
// import() of Node's modules works as it does there.
const module_ = new Module(filename);
module_.filename = filename;
module_.paths = Module._nodeModulePaths(path.dirname(filename));
module_._compile(code, filename);
const handler = module_.exports.handler;
if (typeof handler !== "function") throw new Error(filename + " exports no handler function");
const marker = (id) => Promise.all([process.stdout, process.stderr].map((stream) =>
    new Promise((resolve) => stream.write("\\n" + ${JSON.stringify(END_MARKER)} + id + "\\n", resolve))));
parentPort.on("message", async ({ id, event, context, deadline }) => {
    const lambdaContext = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
    let reply;
    try {
        reply = { type: "result", id, response: await handler(event, lambdaContext) };
    } catch (error) {
        reply = { type: "error", id, name: error instanceof Error ? error.name : "Error", message: error instanceof Error ? error.message : String(error) };
    }
    await marker(id);
    parentPort.postMessage(reply);
});
parentPort.postMessage({ type: "ready" });
`;

/** An invocation that did not return a response: the function threw, crashed or timed out. */
export class InvocationError extends Error {
    constructor(name: string, message: string) {
        super(message);
        this.name = name;
    }
}

/** Splits a stream's text into lines, keeping a partial last line for the next chunk. */
export class LineSplitter {
    private rest = "";

    /** The complete lines of `chunk` (with what came before it), without their line ends. */
    public push(chunk: string): string[] {
        const lines = (this.rest + chunk).split("\n");
        this.rest = lines.pop() ?? "";
        return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
    }
}

interface Pending {
    id: number;
    resolve(response: SQSBatchResponse): void;
    reject(error: Error): void;
    timer: NodeJS.Timeout;
    reply?: EnvironmentMessage;
    /** End markers still to arrive (stdout and stderr). */
    markers: number;
}

/** One execution environment: a worker thread with the function loaded, one invocation at a time. */
export class ExecutionEnvironment {
    /** Set once the environment may not be used again (crashed, timed out or closed). */
    public discarded = false;
    private readonly worker: Worker;
    private readonly ready: Promise<void>;
    private pending?: Pending;
    private nextId = 1;

    constructor(private readonly settings: EnvironmentSettings) {
        this.worker = new Worker(WORKER_SOURCE, {
            eval: true,
            env: settings.env,
            stdout: true,
            stderr: true,
            workerData: { code: settings.code, filename: settings.filename },
            ...(settings.memoryMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: settings.memoryMb } } : {}),
        });
        for (const stream of [this.worker.stdout, this.worker.stderr]) {
            const lines = new LineSplitter();
            stream.setEncoding("utf8");
            stream.on("data", (chunk: string) => lines.push(chunk).forEach((line) => this.onLine(line)));
        }
        this.ready = new Promise<void>((resolve, reject) => {
            this.worker.on("message", (message: EnvironmentMessage) => {
                if (message.type === "ready") resolve();
                else this.onReply(message);
            });
            // A worker that fails to load the code, or crashes later (an uncaught exception in the
            // function), ends what it was doing with an invocation error and is not used again.
            this.worker.on("error", (error: Error) => {
                this.discarded = true;
                reject(error);
                this.fail(new InvocationError("Runtime.ExitError", `the execution environment crashed: ${error.message}`));
            });
            this.worker.on("exit", (code) => {
                this.discarded = true;
                reject(new InvocationError("Runtime.ExitError", `the execution environment exited with code ${code}`));
                this.fail(
                    new InvocationError("Runtime.ExitError", `the execution environment exited with code ${code} during an invocation`),
                );
            });
        });
        this.ready.catch(() => undefined); // observed by invoke
    }

    /** Whether an invocation is running here. */
    public get busy(): boolean {
        return this.pending !== undefined;
    }

    /**
     * Runs the function on `event` with a context whose remaining time counts down from the start
     * of the invocation (after the environment has loaded the function, as Lambda's init phase is
     * apart from the invocation). Rejects with an {@link InvocationError} when the function throws,
     * the environment crashes or the timeout passes.
     */
    public async invoke(event: SQSEvent): Promise<SQSBatchResponse> {
        if (this.pending !== undefined) throw new Error("an execution environment handles one invocation at a time");
        if (this.discarded) throw new Error("this execution environment was discarded");
        const id = this.nextId++;
        let settle!: Pick<Pending, "resolve" | "reject">;
        const result = new Promise<SQSBatchResponse>((resolve, reject) => (settle = { resolve, reject }));
        // It may be rejected (an init timeout, a crash) before it is returned to the caller, who then
        // observes it; marked as handled so that Node does not end the process for it meanwhile.
        result.catch(() => undefined);
        // Held from now, so that no second invocation enters while this one waits for the init.
        this.pending = { id, ...settle, timer: undefined as unknown as NodeJS.Timeout, markers: 2 };
        // Lambda bounds the init phase apart from the invocation: a top level that never ends (a busy
        // loop: the worker never says it is ready) fails the waiting invocation and ends the worker.
        const initTimeoutMs = this.settings.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS;
        let initTimedOut = false;
        const initTimer = setTimeout(() => {
            initTimedOut = true;
            this.fail(
                new InvocationError(
                    "Sandbox.Timedout",
                    `the function's init did not finish within ${(initTimeoutMs / 1000).toFixed(2)} seconds`,
                ),
            );
            void this.close();
        }, initTimeoutMs);
        try {
            await this.ready;
        } catch (error) {
            if (initTimedOut) return result; // rejected with the init timeout, the reason the worker ended
            if (this.pending?.id === id) this.pending = undefined;
            throw error instanceof InvocationError ? error : new InvocationError("Runtime.ImportModuleError", String(error));
        } finally {
            clearTimeout(initTimer);
        }
        const pending = this.pending;
        if (pending?.id !== id) return result; // failed while it waited: already settled
        const { timeoutMs } = this.settings;
        pending.timer = setTimeout(() => {
            // As Lambda does: the invocation fails and its environment is not used again.
            this.fail(new InvocationError("Sandbox.Timedout", `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
            void this.close();
        }, timeoutMs);
        const context: ContextFields = { ...contextFields(), awsRequestId: randomUUID() };
        const message: InvokeMessage = { id, event, context, deadline: Date.now() + timeoutMs };
        this.worker.postMessage(message);
        return result;
    }

    /** Ends the worker (what runs in it is dropped). */
    public async close(): Promise<void> {
        this.discarded = true;
        await this.worker.terminate();
    }

    private onLine(line: string): void {
        if (line.startsWith(END_MARKER)) {
            const pending = this.pending;
            if (pending !== undefined && line === `${END_MARKER}${pending.id}`) {
                pending.markers--;
                this.settleIfComplete(pending);
            }
            return;
        }
        if (line.trim() !== "") this.settings.onLogLine?.(line);
    }

    private onReply(message: EnvironmentMessage): void {
        const pending = this.pending;
        if (message.type === "ready" || pending === undefined || message.id !== pending.id) return; // a timed-out invocation's late reply
        pending.reply = message;
        this.settleIfComplete(pending);
    }

    private settleIfComplete(pending: Pending): void {
        if (pending.reply === undefined || pending.markers > 0) return;
        clearTimeout(pending.timer);
        this.pending = undefined;
        const reply = pending.reply;
        if (reply.type === "result") pending.resolve(reply.response);
        else if (reply.type === "error") pending.reject(new InvocationError(reply.name, reply.message));
    }

    private fail(error: InvocationError): void {
        const pending = this.pending;
        if (pending === undefined) return;
        clearTimeout(pending.timer);
        this.pending = undefined;
        pending.reject(error);
    }
}

/** The context's data fields, as Lambda gives them to this function. */
function contextFields(): ContextFields {
    const { getRemainingTimeInMillis: _remaining, ...fields } = LAMBDA_CONTEXT;
    void _remaining;
    return fields as ContextFields;
}

/** The error of an invocation asked of, or waiting in, a closed pool. */
function closedError(): InvocationError {
    return new InvocationError("Runtime.Closed", "the local run has ended");
}

/** Figures of a pool, for tests and the run's summary. */
export interface PoolFigures {
    /** Environments started so far (a discarded one is replaced by a new one). */
    started: number;
    /** The most environments that were alive at once. */
    peak: number;
    /** Environments discarded after a crash or a timeout. */
    discarded: number;
}

/**
 * The function's execution environments: an invocation goes to a warm idle environment, else to a
 * new one while fewer than `maxEnvironments` are alive, else waits for one to be free (the caller,
 * the event source mapping, keeps no more batches in flight than that anyway).
 */
export class EnvironmentPool {
    private readonly idle: ExecutionEnvironment[] = [];
    private readonly all = new Set<ExecutionEnvironment>();
    /** Invocations waiting for an environment (all are busy and no more may start). */
    private readonly waiting: { resolve(environment: ExecutionEnvironment): void; reject(error: Error): void }[] = [];
    private closed = false;
    private readonly counts: PoolFigures = { started: 0, peak: 0, discarded: 0 };

    constructor(
        private readonly settings: EnvironmentSettings,
        private readonly maxEnvironments: number,
    ) {
        if (!Number.isInteger(maxEnvironments) || maxEnvironments < 1) {
            throw new RangeError(`maxEnvironments must be a positive integer, not ${maxEnvironments}`);
        }
    }

    /** How long an environment's init may take (see {@link EnvironmentSettings.initTimeoutMs}). */
    public get initTimeoutMs(): number {
        return this.settings.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS;
    }

    /** Invokes the function in an environment of its own (see {@link ExecutionEnvironment.invoke}). */
    public async invoke(event: SQSEvent): Promise<SQSBatchResponse> {
        const environment = await this.acquire();
        try {
            return await environment.invoke(event);
        } finally {
            this.release(environment);
        }
    }

    /** How many environments are alive now. */
    public get size(): number {
        return this.all.size;
    }

    public get figures(): PoolFigures {
        return { ...this.counts };
    }

    /** Ends every environment; invocations still running end with an invocation error. */
    public async close(): Promise<void> {
        this.closed = true;
        this.idle.length = 0;
        // Those still waiting for an environment would otherwise never settle.
        for (const waiter of this.waiting.splice(0)) waiter.reject(closedError());
        const environments = [...this.all];
        this.all.clear();
        await Promise.all(environments.map((environment) => environment.close()));
    }

    private acquire(): Promise<ExecutionEnvironment> {
        if (this.closed) return Promise.reject(closedError());
        let warm = this.idle.pop();
        // An idle environment may have crashed since its last invocation (a timer the function left
        // behind threw): as Lambda does, the next batch goes to a new environment, not to that one.
        while (warm?.discarded === true) {
            this.forget(warm);
            warm = this.idle.pop();
        }
        if (warm !== undefined) return Promise.resolve(warm);
        if (this.all.size < this.maxEnvironments) return Promise.resolve(this.start());
        return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
    }

    private start(): ExecutionEnvironment {
        const environment = new ExecutionEnvironment(this.settings);
        this.all.add(environment);
        this.counts.started++;
        this.counts.peak = Math.max(this.counts.peak, this.all.size);
        return environment;
    }

    /** Drops an environment that crashed, timed out or was closed, and counts it. */
    private forget(environment: ExecutionEnvironment): void {
        this.all.delete(environment);
        this.counts.discarded++;
        void environment.close();
    }

    private release(environment: ExecutionEnvironment): void {
        if (this.closed) return;
        let next: ExecutionEnvironment | undefined = environment;
        if (environment.discarded) {
            this.forget(environment);
            next = this.waiting.length > 0 ? this.start() : undefined;
        }
        if (next === undefined) return;
        const waiter = this.waiting.shift();
        if (waiter !== undefined) waiter.resolve(next);
        else this.idle.push(next);
    }
}
