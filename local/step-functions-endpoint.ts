/**
 * A Step Functions endpoint on loopback that speaks the service's wire protocol (awsJson 1.0:
 * `POST /`, `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target: AWSStepFunctions.<Action>`,
 * errors as `{"__type": …, "message": …}`), for the task-token actions. The real
 * `@aws-sdk/client-sfn` talks to it through `AWS_ENDPOINT_URL_SFN` or `endpoint`: signing,
 * serialization, error parsing and retries all run as they would against AWS.
 *
 * What it answers is up to the test: a function from each call to a reply (success, an error
 * response, or a dropped connection), with an optional latency.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export const TASK_TOKEN_ACTIONS = ["SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"] as const;
export type TaskTokenAction = (typeof TASK_TOKEN_ACTIONS)[number];

/** One request the endpoint received. */
export interface EndpointCall {
    action: TaskTokenAction;
    input: Record<string, unknown>;
    /** 1 for the first request with this action and token, 2 for the SDK's first retry, … */
    attempt: number;
    headers: http.IncomingHttpHeaders;
}

export type Reply =
    | { kind: "ok" }
    | { kind: "error"; status: number; type: string; message: string }
    | { kind: "drop" }
    | { kind: "stall" }
    | { kind: "trickle"; intervalMs: number }
    | { kind: "raw"; status: number; body: string };

export const reply = {
    ok: (): Reply => ({ kind: "ok" }),
    /** An error response as Step Functions sends it (`TaskTimedOut`, `ThrottlingException`, …). */
    error: (type: string, status = 400, message = `${type} (loopback endpoint)`): Reply => ({ kind: "error", status, type, message }),
    /** Close the connection without an answer. */
    drop: (): Reply => ({ kind: "drop" }),
    /** Keep the connection open and never answer. */
    stall: (): Reply => ({ kind: "stall" }),
    /**
     * Answer 200 and send the body one byte every `intervalMs`, for ever: the connection is never
     * idle, so a socket timeout never fires.
     */
    trickle: (intervalMs = 200): Reply => ({ kind: "trickle", intervalMs }),
    /** Answer with this status and body as they are (a body the SDK cannot read, say). */
    raw: (status: number, body: string): Reply => ({ kind: "raw", status, body }),
};

export interface EndpointOptions {
    /** How each call is answered; success when omitted. */
    respond?: (call: EndpointCall) => Reply;
    /** Delay before each answer, as a network and service would add. */
    latencyMs?: number;
}

const JSON_1_0 = "application/x-amz-json-1.0";

export class StepFunctionsEndpoint {
    /** Every call received, in order. */
    public readonly calls: EndpointCall[] = [];
    public respond: (call: EndpointCall) => Reply;
    public latencyMs: number;
    private readonly attempts = new Map<string, number>();

    private constructor(
        private readonly server: http.Server,
        options: EndpointOptions,
    ) {
        this.respond = options.respond ?? reply.ok;
        this.latencyMs = options.latencyMs ?? 0;
    }

    /** Starts an endpoint on 127.0.0.1 on a free port. */
    public static async start(options: EndpointOptions = {}): Promise<StepFunctionsEndpoint> {
        const server = http.createServer();
        const endpoint = new StepFunctionsEndpoint(server, options);
        server.on("request", (req, res) => void endpoint.handle(req, res));
        server.keepAliveTimeout = 1000;
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return endpoint;
    }

    /** The URL to give the SDK (`endpoint`, or `AWS_ENDPOINT_URL_SFN`). */
    public get url(): string {
        const { port } = this.server.address() as AddressInfo;
        return `http://127.0.0.1:${port}`;
    }

    /** Calls of one action, optionally for one token. */
    public callsOf(action: TaskTokenAction, taskToken?: string): EndpointCall[] {
        return this.calls.filter((c) => c.action === action && (taskToken === undefined || c.input.taskToken === taskToken));
    }

    /** Forgets the calls so far (the reply function stays). */
    public reset(): void {
        this.calls.length = 0;
        this.attempts.clear();
    }

    public async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const send = (status: number, body: Record<string, unknown>) => {
            res.writeHead(status, { "Content-Type": JSON_1_0 });
            res.end(JSON.stringify(body));
        };
        const protocolError = (type: string, message: string) => send(400, { __type: type, message });

        const target = String(req.headers["x-amz-target"] ?? "");
        const action = target.replace(/^AWSStepFunctions\./, "") as TaskTokenAction;
        if (req.method !== "POST" || req.url !== "/") return protocolError("UnknownOperationException", `${req.method} ${req.url}`);
        if (req.headers["content-type"] !== JSON_1_0)
            return protocolError("SerializationException", `content type ${req.headers["content-type"]}`);
        if (!target.startsWith("AWSStepFunctions.") || !TASK_TOKEN_ACTIONS.includes(action)) {
            return protocolError("UnknownOperationException", `unsupported target ${target}`);
        }
        let input: Record<string, unknown>;
        try {
            input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        } catch {
            return protocolError("SerializationException", "body is not JSON");
        }

        const key = `${action} ${String(input.taskToken)}`;
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempt);
        const call: EndpointCall = { action, input, attempt, headers: req.headers };
        this.calls.push(call);

        const answer = this.respond(call);
        if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
        switch (answer.kind) {
            case "ok":
                return send(200, {});
            case "error":
                return send(answer.status, { __type: answer.type, message: answer.message });
            case "drop":
                req.socket.destroy();
                return;
            case "stall":
                return; // closed by close(), if the client has not given up by then
            case "trickle": {
                res.writeHead(200, { "Content-Type": JSON_1_0 });
                const timer = setInterval(() => res.write(" "), answer.intervalMs);
                res.on("close", () => clearInterval(timer)); // the client gave up, or close()
                return;
            }
            case "raw":
                res.writeHead(answer.status, { "Content-Type": JSON_1_0 });
                res.end(answer.body);
                return;
        }
    }
}
