/**
 * How the tests run a command in a process of its own: without blocking the event loop, so that
 * the independent runs of a test start at once (each costs about a second of CPU to start) and runs
 * against a loopback endpoint served by the test's own process get their answers.
 */
import { spawn, type StdioOptions } from "node:child_process";
import * as path from "node:path";
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
