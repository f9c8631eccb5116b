/**
 * `npm run callback` as a user runs it: a loopback Step Functions endpoint answering from task
 * tokens kept as Step Functions keeps them, the command run in the test's process (what it prints
 * and returns), or as a process with node (tsx), `npm run --silent callback` or a shell line (what
 * only a process shows: standard input, pipes, npm), and a record of every token given and
 * everything printed, so that a suite can check no token was ever shown.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tokenFingerprint } from "../../functions/callback/callback";
import type { StepFunctionsEndpoint } from "../../local/step-functions-endpoint";
import type { TaskTokens } from "../../local/task-tokens";
import { useTokensLoopback } from "./loopback-client";
import { runInProcess, runProcess, STACK_TRACE_LINE, type ProcessResult } from "./processes";
import { TYPESCRIPT_NODE_ARGS } from "./typescript-child";

/** A task token shaped as AWS's are (796 characters), known to no endpoint. */
export const TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAAR${"Zp4Lq8Wt2Nm6Xc0Vb3Hd5Jf7Kg9Rs1Ty".repeat(24)}==`;

/** What a run of the command did. */
export type CallbackRun = ProcessResult;

/** How to run it: standard input, environment changes, and through what. */
export interface CallbackRunOptions {
    /** Standard input: only for a process (`via` other than "in-process"). */
    stdin?: string | Buffer;
    env?: Record<string, string | undefined>;
    /** In this process (the default), or a process started with node, `npm run --silent callback` or `shell`. */
    via?: "in-process" | "node" | "npm" | "shell";
    shell?: string;
}

/** A task waiting for its callback, and its token. */
export interface WaitingTask {
    token: string;
    result: Promise<unknown>;
    fingerprint: string;
}

/** What a suite gets: `endpoint`, `tokens` and `dir` are set before each test. */
export interface CallbackProcessSuite {
    endpoint: StepFunctionsEndpoint;
    tokens: TaskTokens;
    /** The suite's temporary folder, removed after it. */
    dir: string;
    /** Every token the runs were given. */
    given: string[];
    /** Everything every run printed: no token may be in it. */
    printed: string[];
    /** Writes `content` to a file of the suite's folder; its path. */
    file(name: string, content: string | Buffer): string;
    /** Runs the command (in this process, node with tsx, `npm run --silent callback`, or a shell line) and collects what it printed. */
    run(args: string[], options?: CallbackRunOptions): Promise<CallbackRun>;
    /** A token of a task waiting for its callback. */
    waitingTask(options?: { heartbeatSeconds?: number }): WaitingTask;
}

/** Registers the hooks of a suite that runs `npm run callback` as a process against its own loopback endpoint. */
export function useCallbackProcess(): CallbackProcessSuite {
    const loopback = useTokensLoopback();
    const suite = { given: [] as string[], printed: [] as string[] } as unknown as CallbackProcessSuite;
    let dir = "";
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-cli-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    beforeEach(() => Object.assign(suite, { endpoint: loopback.endpoint, tokens: loopback.tokens, dir }));
    const { printed, given } = suite;

    /** The AWS settings of every run: this process's own dropped, the loopback endpoint's given. */
    const awsEnv = (extra: Record<string, string | undefined>): Record<string, string | undefined> => {
        const own = Object.fromEntries(Object.keys(process.env).flatMap((k) => (k.startsWith("AWS_") ? [[k, undefined]] : [])));
        return {
            ...own,
            AWS_REGION: "eu-west-1",
            AWS_ACCESS_KEY_ID: "AKIDLOOPBACKEXAMPLE",
            AWS_SECRET_ACCESS_KEY: "loopback",
            AWS_ENDPOINT_URL_SFN: loopback.endpoint.url,
            AWS_CONFIG_FILE: path.join(dir, "no-config"),
            AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "no-credentials"),
            AWS_EC2_METADATA_DISABLED: "true",
            ...extra,
        };
    };
    const env = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
        const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
        const aws = Object.fromEntries(Object.entries(awsEnv(extra)).filter(([, v]) => v !== undefined));
        // The node this test runs on first (npm runs the script with the first node on PATH).
        return { ...clean, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`, ...aws };
    };

    /** Runs the command (in this process, node with tsx, `npm run --silent callback`, or a shell line) and records what it printed. */
    async function run(args: string[], options: CallbackRunOptions = {}): Promise<CallbackRun> {
        if ((options.via ?? "in-process") === "in-process") {
            if (options.stdin !== undefined) throw new Error("standard input is only for a process: give `via` too");
            const result = await runInProcess("commands/callback.ts", args, { env: awsEnv(options.env ?? {}) });
            printed.push(result.stdout, result.stderr);
            return result;
        }
        const [command, argv] =
            options.via === "npm"
                ? ["npm", ["run", "--silent", "callback", "--", ...args]]
                : options.via === "shell"
                  ? ["bash", ["-c", options.shell!]]
                  : [process.execPath, [...TYPESCRIPT_NODE_ARGS, "commands/callback.ts", ...args]];
        const result = await runProcess(command, argv, { env: env(options.env), stdin: options.stdin });
        printed.push(result.stdout, result.stderr);
        return result;
    }
    /** A token of a task waiting for its callback. */
    function waitingTask(options: { heartbeatSeconds?: number } = {}): WaitingTask {
        const token = loopback.tokens.issue();
        given.push(token);
        const result = loopback.tokens.waitFor(token, { timeoutSeconds: 60, ...options });
        result.catch(() => undefined);
        return { token, result, fingerprint: tokenFingerprint(token) };
    }

    suite.file = (name, content) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, content);
        return p;
    };
    suite.run = run;
    suite.waitingTask = waitingTask;
    return suite;
}

/** The suite's last test: no run printed a token given to it, whole or in part, nor a stack trace. */
export function itNeverPrintedAToken(suite: CallbackProcessSuite, atLeast: number): void {
    it("never printed a token, whole or in part", () => {
        assert.ok(suite.given.length >= atLeast, `${suite.given.length} tokens`);
        const all = suite.printed.join("\n");
        for (const token of suite.given) {
            for (let i = 0; i + 12 <= token.length; i += 6)
                assert.ok(!all.includes(token.slice(i, i + 12)), `a piece of a token was printed: ${tokenFingerprint(token)}`);
        }
        assert.doesNotMatch(all, STACK_TRACE_LINE);
    });
}
