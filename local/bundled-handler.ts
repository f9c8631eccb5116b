/**
 * The callback function's code as the archive the stack uploads holds it (`.build/callback-function.zip`,
 * built as `pulumi up` builds it), the environment Lambda would give it (region, credentials, and
 * `AWS_ENDPOINT_URL_SFN` pointing at a loopback endpoint), and a loader that runs it in this process
 * for the tests and the bench. The local run does not use that loader: it runs the code in
 * execution environments of their own (`execution-environments.ts`).
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { unzipSync } from "fflate";
import { buildFunctionArtifact, CALLBACK_FUNCTION_ENTRY, PROJECT_ROOT, type FunctionArtifact } from "../infra/function-artifact";

/** The function entry of the local run's `handoff` scenario: the handler with a hand-off work. */
export const HANDOFF_FUNCTION_ENTRY = path.join(PROJECT_ROOT, "local", "handoff-function.ts");

// Built once per entry: the code does not change while this process runs.
const artifacts = new Map<string, FunctionArtifact>();
function artifactOf(entry: string): FunctionArtifact {
    let artifact = artifacts.get(entry);
    if (artifact === undefined) {
        artifact =
            entry === CALLBACK_FUNCTION_ENTRY
                ? buildFunctionArtifact() // the archive the stack uploads
                : buildFunctionArtifact(entry, path.join(PROJECT_ROOT, ".build", `${path.basename(entry, ".ts")}.zip`));
        artifacts.set(entry, artifact);
    }
    return artifact;
}

export type CallbackHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** A Lambda context good enough for the handler (Powertools reads a few fields). */
export const LAMBDA_CONTEXT = {
    functionName: "callback",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:callback",
    memoryLimitInMB: "256",
    awsRequestId: "00000000-0000-4000-8000-000000000000",
    logGroupName: "/aws/lambda/callback",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

/**
 * A Lambda context for one invocation of a function with this timeout: its remaining time counts
 * down from now, as Lambda's does, so the function's deadline works as deployed.
 */
export function lambdaContext(timeoutMs: number): Context {
    const end = Date.now() + timeoutMs;
    return { ...LAMBDA_CONTEXT, awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, end - Date.now()) };
}

/** Where the code pretends to sit, as in Lambda's `/var/task`: only for stack traces and `require` of Node's own modules. */
const BUNDLE_FILENAME = path.join(PROJECT_ROOT, ".build", "index.js");

/** The bundled code of `entry` (the archive's `index.js`), read from the archive built for it. */
export interface BundledCode {
    artifact: FunctionArtifact;
    /** The text of the archive's `index.js`. */
    code: string;
    /** The file name the code is compiled under (nothing is written there). */
    filename: string;
}

/** Builds the archive of `entry` (once per process) and reads its `index.js` from it, in memory. */
export function bundledCode(entry: string = CALLBACK_FUNCTION_ENTRY): BundledCode {
    const artifact = artifactOf(entry);
    const files = unzipSync(fs.readFileSync(artifact.archivePath));
    const index = files["index.js"];
    if (index === undefined) throw new Error(`${artifact.archivePath} holds no index.js`);
    return { artifact, code: Buffer.from(index).toString("utf8"), filename: BUNDLE_FILENAME };
}

/**
 * The environment variables Lambda would give the function here: region, credentials of the
 * loopback endpoint, the endpoint's URL for Step Functions, the log level; then `env`.
 */
export function functionEnvironment(endpointUrl: string, env: Record<string, string> = {}): Record<string, string> {
    return {
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIDLOOPBACKEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "loopback-secret",
        AWS_ENDPOINT_URL_SFN: endpointUrl,
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...env,
    };
}

/** The parts of Node's CommonJS loader that compile a module from text (long-standing, not in its typings). */
interface CommonJsLoader {
    new (id: string): {
        filename: string;
        paths: string[];
        exports: Record<string, unknown>;
        _compile(code: string, filename: string): void;
    };
    _nodeModulePaths(directory: string): string[];
}

/**
 * Runs CommonJS `code` as a module of its own, compiled by Node's CommonJS loader as if it were
 * the file `filename`, without writing it anywhere: its `require` and `import()` work as they
 * would there (the bundle needs only Node's own modules). Returns the module's exports.
 */
export function compileModule(code: string, filename: string): Record<string, unknown> {
    const Loader = Module as unknown as CommonJsLoader;
    const module = new Loader(filename);
    module.filename = filename;
    module.paths = Loader._nodeModulePaths(path.dirname(filename));
    module._compile(code, filename);
    return module.exports;
}

/**
 * Loads the bundled function into this process with the environment set for `endpointUrl`, for
 * the tests and the bench (the local run uses execution environments of their own). Each call
 * loads a fresh copy (own client, own logger); nothing is written to disk. The caller calls
 * `restoreEnv` once the function's client has read its configuration (on its first use).
 */
export function loadBundledHandler(
    endpointUrl: string,
    env: Record<string, string> = {},
    entry: string = CALLBACK_FUNCTION_ENTRY,
): { handler: CallbackHandler; artifact: FunctionArtifact; restoreEnv: () => void } {
    const { artifact, code, filename } = bundledCode(entry);
    const saved = { ...process.env };
    Object.assign(process.env, functionEnvironment(endpointUrl, env));
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    const exports = compileModule(code, filename);
    if (typeof exports.handler !== "function") throw new Error(`${artifact.archivePath}: index.js exports no handler function`);
    // The client has read its configuration; what the rest of the test run sees is put back.
    const restoreEnv = () => {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
    };
    return { handler: exports.handler as CallbackHandler, artifact, restoreEnv };
}

/**
 * Keeps what the process writes to stdout and stderr (the function's JSON logs: Powertools writes
 * warnings and errors to stderr) from `start()` until `stop()`, instead of printing it. For tests
 * and the bench, which run the function in this process; the local run never uses it.
 */
export class OutputCapture {
    private readonly streams = [process.stdout, process.stderr];
    private writes?: (typeof process.stdout.write)[];
    private text = "";

    public start(): this {
        this.writes = this.streams.map((stream) => stream.write);
        for (const stream of this.streams) {
            stream.write = ((chunk: string | Uint8Array) => {
                this.text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
                return true;
            }) as typeof stream.write;
        }
        return this;
    }

    /** Restores the streams; returns the lines written meanwhile. */
    public stop(): string[] {
        if (this.writes !== undefined) this.streams.forEach((stream, i) => (stream.write = this.writes![i]));
        this.writes = undefined;
        return this.text.split("\n").filter((line) => line.trim() !== "");
    }
}

/** Runs `action`, keeping what it writes to stdout and stderr instead of printing it. */
export async function captureLogs<T>(action: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
    const capture = new OutputCapture().start();
    try {
        const result = await action();
        return { result, lines: capture.stop() };
    } finally {
        capture.stop();
    }
}
