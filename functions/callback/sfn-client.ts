/**
 * The callback function's Step Functions client: how it connects, how long it waits, how it retries,
 * and what it does ahead of the first invocation. The figures, and why they were chosen, are in
 * `client-settings.ts`.
 *
 * Region, credentials and endpoint still come from the environment (`AWS_REGION`, the Lambda role's
 * credentials, and `AWS_ENDPOINT_URL_SFN` where set), as the SDK resolves them by default.
 */
import * as http from "node:http";
import * as https from "node:https";
import { Readable } from "node:stream";
import { SendTaskSuccessCommand, SFNClient, type SFNClientConfig } from "@aws-sdk/client-sfn";
import { CONNECTION_TIMEOUT_MS, MAX_ATTEMPTS, MAX_SOCKETS, REQUEST_TIMEOUT_MS, RETRY_MODE, type SendSettings } from "./client-settings";

export interface StepFunctionsClientOptions extends SendSettings {
    /** Where to send (the loopback endpoint in tests); from the environment when omitted. */
    endpoint?: string;
    /** From the environment (`AWS_REGION`) when omitted. */
    region?: string;
    /** From the environment (the function's role) when omitted. */
    credentials?: SFNClientConfig["credentials"];
    /** `standard` ({@link RETRY_MODE}) when omitted; `adaptive` for the bench's comparison. */
    retryMode?: "standard" | "adaptive";
    /** Sockets per origin; {@link MAX_SOCKETS} when omitted. */
    maxSockets?: number;
    /** Time allowed to connect; {@link CONNECTION_TIMEOUT_MS} when omitted. */
    connectionTimeoutMs?: number;
}

/**
 * Creates the function's Step Functions client with the settings above; pure apart from the
 * client and its two agents (no I/O until the first call). One client per container: its sockets,
 * credentials and retry quota live as long as the container.
 */
export function createStepFunctionsClient(options: StepFunctionsClientOptions = {}): SFNClient {
    const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    // Keep-alive sockets, at most `maxSockets` per origin: a warm container reuses its connections.
    const agent = { keepAlive: true, maxSockets: options.maxSockets ?? MAX_SOCKETS };
    return new SFNClient({
        ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
        ...(options.region !== undefined && { region: options.region }),
        ...(options.credentials !== undefined && { credentials: options.credentials }),
        retryMode: options.retryMode ?? RETRY_MODE,
        maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
        requestHandler: {
            connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
            requestTimeout,
            // Without it a response whose body stalls after its headers would hold the call.
            socketTimeout: requestTimeout,
            // The SDK only logs an exceeded request timeout unless told to fail the attempt.
            throwOnRequestTimeout: true,
            httpAgent: new http.Agent(agent),
            httpsAgent: new https.Agent(agent),
        },
    });
}

/** The task token of the warm-up's command; it never leaves the process. */
export const WARM_UP_TOKEN = "warm-up-never-sent";

/**
 * Does ahead, in the container's init phase, the one-time work of the client's first call, without
 * any request leaving the process. Measured with the shipped bundle in fresh Node processes against
 * the loopback endpoint at 25 ms (median of 7): the first call took 61 ms and the next ones 30 ms;
 * of the 31 ms more, about 10 ms is the first pass through the SDK's middleware (reading the shared
 * config files, resolving region, credentials and endpoint, the first serialization, signing and
 * deserialization, Node builtins the SDK loads lazily), about 10 ms the HTTP handler's first
 * `import("node:http")`, a dynamic import that starts Node's ES module loader (an https endpoint,
 * as in AWS, skips it), and the rest the first connection and code run for the first time. After
 * this warm-up (about 21 ms, in the init phase) the first call took 34 ms.
 *
 * It runs a `SendTaskSuccess` command for {@link WARM_UP_TOKEN} through the client's middleware
 * stack, where a last middleware, after signing, answers it in place of the HTTP handler; it then
 * gives the HTTP handler itself an empty, unsigned request with an already aborted signal, which the
 * handler refuses before it opens a connection. No request reaches Step Functions, so nothing there
 * changes; what is left to the first call is the connection (against AWS, a TLS handshake). It
 * never rejects: a failed warm-up leaves that work to the first call, as before.
 */
export async function warmUpStepFunctionsClient(client: SFNClient): Promise<void> {
    try {
        let target: { protocol: string; hostname: string; port?: number } | undefined;
        const command = new SendTaskSuccessCommand({ taskToken: WARM_UP_TOKEN, output: "{}" });
        command.middlewareStack.add(
            // The innermost middleware, after signing: it answers instead of the HTTP handler.
            () => async (args) => {
                target = args.request as typeof target;
                return {
                    response: {
                        statusCode: 200,
                        headers: { "content-type": "application/x-amz-json-1.0" },
                        body: Readable.from([Buffer.from("{}")]),
                    },
                };
            },
            { step: "deserialize", priority: "low", name: "warmUpAnswer" },
        );
        await client.send(command);
        if (target === undefined) return;
        // The handler loads its HTTP module and agent on its first request; an aborted signal stops
        // it before it connects. The request is unsigned and empty besides, should a handler not honour the signal.
        const handler = client.config.requestHandler as {
            handle(request: unknown, options: { abortSignal: AbortSignal }): Promise<unknown>;
        };
        const request = {
            protocol: target.protocol,
            hostname: target.hostname,
            port: target.port,
            method: "GET",
            path: "/",
            headers: {},
            query: {},
        };
        await handler.handle(request, { abortSignal: AbortSignal.abort() }).catch(() => undefined);
    } catch {
        // the first call does the work instead
    }
}
