/**
 * Loads the callback function from the archive the stack uploads (`.build/callback-function.zip`,
 * built as `pulumi up` builds it), in this process, configured by the environment as Lambda
 * configures it: region, credentials, and `AWS_ENDPOINT_URL_SFN` pointing at a loopback endpoint.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { unzipSync } from "fflate";
import { buildFunctionArtifact, type FunctionArtifact } from "../infra/function-artifact";

let artifact: FunctionArtifact | undefined;

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
 * A Lambda context like {@link LAMBDA_CONTEXT} whose remaining time counts down, as Lambda's does,
 * from `timeoutMs` (the function timeout) at the moment it is created: for batches that take longer
 * than the fixed 10 s of {@link LAMBDA_CONTEXT}, and for deadlines the handler derives from it.
 */
export function lambdaContext(timeoutMs: number): Context {
    const deadline = Date.now() + timeoutMs;
    return { ...LAMBDA_CONTEXT, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

/**
 * Builds the archive, extracts its `index.js` to a scratch folder and requires it with the
 * environment set for `endpointUrl`. Each call loads a fresh copy (own client, own logger).
 */
export function loadBundledHandler(
    endpointUrl: string,
    env: Record<string, string> = {},
): { handler: CallbackHandler; artifact: FunctionArtifact; restoreEnv: () => void } {
    artifact ??= buildFunctionArtifact(); // the code does not change while this process runs
    const files = unzipSync(fs.readFileSync(artifact.archivePath));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-bundle-"));
    const file = path.join(dir, "index.js");
    fs.writeFileSync(file, files["index.js"]);
    const saved = { ...process.env };
    Object.assign(process.env, {
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "AKIDLOOPBACKEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "loopback-secret",
        AWS_ENDPOINT_URL_SFN: endpointUrl,
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...env,
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file written at run time, loaded anew on each call
    const module = require(file) as { handler: CallbackHandler };
    // The client has read its configuration; what the rest of the test run sees is put back.
    const restoreEnv = () => {
        for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
        Object.assign(process.env, saved);
    };
    return { handler: module.handler, artifact, restoreEnv };
}

/**
 * Keeps what the process writes to stdout and stderr (the function's JSON logs: Powertools writes
 * warnings and errors to stderr) from `start()` until `stop()`, instead of printing it.
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
