/**
 * How the tests run a command in a process of its own: without blocking the event loop, so that
 * the independent runs of a test start at once (each costs about a second of CPU to start) and runs
 * against a loopback endpoint served by the test's own process get their answers.
 */
import { spawn, type StdioOptions } from "node:child_process";
import * as path from "node:path";
import { runCommand, type CommandSpec } from "../../commands/cli";
import { TYPESCRIPT_NODE_ARGS } from "./typescript-child";

/** The project's root, where the commands run from (as npm runs them). */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** A line of a stack trace (`    at f (file.ts:1:2)`, `    at file.ts:1:2`): a command never prints one. */
export const STACK_TRACE_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** What a run did: its exit code (null when a signal ended it), what it printed, how long it took. */
export interface ProcessResult {
    code: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

export interface ProcessOptions {
    /** Written to its standard input, which is then ended (empty when not given: nothing to read). */
    stdin?: string | Buffer;
    /** Its whole environment; this process's when not given. */
    env?: NodeJS.ProcessEnv;
    /** A file descriptor for its standard output (then not collected), e.g. /dev/full. */
    stdout?: number;
    /** Killed (SIGKILL) after this long: no run hangs the suite. */
    timeoutMs?: number;
}

/** Runs `command` with `args` in {@link PROJECT_DIR} and collects what it printed. */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
    const started = Date.now();
    const stdio: StdioOptions = ["pipe", options.stdout ?? "pipe", "pipe"];
    const child = spawn(command, args, {
        cwd: PROJECT_DIR,
        env: options.env ?? process.env,
        stdio,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    child.stdin?.on("error", () => undefined); // the command may stop reading early, on purpose
    child.stdin?.end(options.stdin ?? "");
    return new Promise((resolve) =>
        child.on("close", (code) =>
            resolve({
                code,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
                ms: Date.now() - started,
            }),
        ),
    );
}

/** Runs a TypeScript file of the project (a command) with node and the test run's hooks; `nodeArgs` go before them. */
export function runTypeScript(
    script: string,
    args: readonly string[],
    options: ProcessOptions & { nodeArgs?: readonly string[] } = {},
): Promise<ProcessResult> {
    return runProcess(process.execPath, [...(options.nodeArgs ?? []), ...TYPESCRIPT_NODE_ARGS, script, ...args], options);
}

/** The commands a test may run in its own process with {@link runInProcess}. */
export type CommandScript =
    "commands/start.ts" | "commands/execution.ts" | "commands/callback.ts" | "commands/deploy-policy.ts" | "commands/readme-tables.ts";

/** A command's spec, as its module exports it (loading it does not run it: see the module's end). */
function specOf(script: CommandScript): CommandSpec<{ help: boolean }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the command's module, by its path
    return (require(path.join(PROJECT_DIR, script)) as { spec: CommandSpec<{ help: boolean }> }).spec;
}

/** A write that keeps what it is given in `chunks`, in place of a stream's own. */
function captureInto(chunks: string[]): typeof process.stdout.write {
    return ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
        chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
        if (typeof done === "function") process.nextTick(done as () => void);
        return true;
    }) as typeof process.stdout.write;
}

/** Runs already started by {@link runInProcess}: each waits for the one before (see there). */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs a command in this process, as its module runs it (`runCommand` with its spec and `args`),
 * and collects what it printed: for what a command prints and returns for given flags and input,
 * without a process of its own (each costs 0.3 to 1 s of CPU to start). What only a process shows
 * (an exit code as the shell sees it, closed pipes, signals, standard input, the Node.js check) is
 * for {@link runTypeScript}.
 *
 * Standard output and error are captured by replacing their `write` for the run (the commands print
 * with `console` and `process.stdout.write`, which both end there), and `env` is set in `process.env`
 * for it: runs started at once therefore run one after another, never overlapping. Both streams count
 * as pipes (`isTTY` false), as for a process the tests start.
 */
export function runInProcess(
    script: CommandScript,
    args: readonly string[],
    options: { env?: Record<string, string | undefined> } = {},
): Promise<ProcessResult> {
    const result = queue.then(() => runNow(specOf(script), args, options.env ?? {}));
    queue = result.catch(() => undefined);
    return result;
}

async function runNow(
    spec: CommandSpec<{ help: boolean }>,
    args: readonly string[],
    env: Record<string, string | undefined>,
): Promise<ProcessResult> {
    const started = Date.now();
    const out: string[] = [];
    const err: string[] = [];
    const streams = [
        [process.stdout, out],
        [process.stderr, err],
    ] as const;
    const saved = streams.map(([stream]) => ({ write: stream.write, tty: Object.getOwnPropertyDescriptor(stream, "isTTY") }));
    const savedEnv = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    const savedExitCode = process.exitCode;
    const setEnv = (values: Record<string, string | undefined>) => {
        for (const [key, value] of Object.entries(values)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
        }
    };
    let code: number;
    try {
        setEnv(env);
        for (const [stream, chunks] of streams) {
            stream.write = captureInto(chunks);
            Object.defineProperty(stream, "isTTY", { value: false, configurable: true, writable: true });
        }
        code = await runCommand(spec, [...args]);
    } finally {
        streams.forEach(([stream], i) => {
            stream.write = saved[i].write;
            const tty = saved[i].tty;
            if (tty === undefined) delete (stream as { isTTY?: boolean }).isTTY;
            else Object.defineProperty(stream, "isTTY", tty);
        });
        setEnv(savedEnv);
        process.exitCode = savedExitCode;
    }
    return { code, stdout: out.join(""), stderr: err.join(""), ms: Date.now() - started };
}
