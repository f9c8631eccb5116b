/**
 * A Step Functions endpoint on loopback that speaks the service's wire protocol (awsJson 1.0:
 * `POST /`, `Content-Type: application/x-amz-json-1.0`, `X-Amz-Target: AWSStepFunctions.<Action>`,
 * errors as `{"__type": …, "message": …}`), for the task-token actions. The real
 * `@aws-sdk/client-sfn` talks to it through `AWS_ENDPOINT_URL_SFN` or `endpoint`: signing,
 * serialization, error parsing and retries all run as they would against AWS.
 *
 * What it answers is up to the test: a function from each call to a reply (success, an error
 * response, or a dropped connection), with an optional latency, and optionally Step Functions'
 * throttling: a token bucket per action that answers `ThrottlingException` when it is empty.
 *
 * The execution actions `npm run execution` calls (StartExecution, DescribeExecution,
 * GetExecutionHistory) are answered only by an `executions` function, when one is given: tests
 * use it to play a misbehaving service (a hung call, throttling, an HTML error page, a history
 * that never ends).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export const TASK_TOKEN_ACTIONS = ["SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"] as const;
export type TaskTokenAction = (typeof TASK_TOKEN_ACTIONS)[number];

/** The actions `npm run execution` calls, answered by {@link EndpointOptions.executions}. */
export const EXECUTION_ACTIONS = ["StartExecution", "DescribeExecution", "GetExecutionHistory"] as const;
export type ExecutionAction = (typeof EXECUTION_ACTIONS)[number];

/** One request for an execution action. */
export interface ExecutionCall {
    action: ExecutionAction;
    input: Record<string, unknown>;
    headers: http.IncomingHttpHeaders;
}

/** One request the endpoint received. */
export interface EndpointCall {
    action: TaskTokenAction;
    input: Record<string, unknown>;
    /** 1 for the first request with this action and token, 2 for the SDK's first retry, … */
    attempt: number;
    headers: http.IncomingHttpHeaders;
    /** True when the token bucket was empty: the call was answered with `ThrottlingException`, not by `respond`. */
    throttled?: boolean;
}

export type Reply =
    | { kind: "ok" }
    | { kind: "error"; status: number; type: string; message: string }
    | { kind: "drop" }
    | { kind: "stall" }
    | { kind: "trickle"; intervalMs: number }
    | { kind: "raw"; status: number; body: string; contentType?: string }
    | { kind: "json"; status: number; body: unknown };

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
    /**
     * Answer with this status and body as they are (a body the SDK cannot read, say), labelled
     * `contentType` (the protocol's JSON type when omitted; `text/html` for a proxy's error page).
     */
    raw: (status: number, body: string, contentType?: string): Reply => ({
        kind: "raw",
        status,
        body,
        ...(contentType && { contentType }),
    }),
    /** A success (or any status) with this JSON body: an execution action's output. */
    json: (body: unknown, status = 200): Reply => ({ kind: "json", status, body }),
};

/**
 * Step Functions' throttling of an API action: a token bucket per account and region. Each request
 * takes a token; a request that finds the bucket empty is refused with `ThrottlingException` (HTTP
 * 400) and takes none; the bucket refills continuously up to its size. The developer guide's quota
 * table gives `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` each a bucket of 3000
 * tokens refilled at 500 per second in us-east-1, us-west-2 and eu-west-1, and 1500 at 300 per
 * second in the other regions ({@link STEP_FUNCTIONS_TASK_TOKEN_QUOTA}); AWS may raise them at any
 * time. The bucket is the account's, shared by every container of the function and every other
 * caller in the region.
 */
export interface Throttle {
    /** Tokens the bucket holds when full: the burst it admits. */
    capacity: number;
    /** Tokens added per second: the sustained rate it admits. */
    refillPerSecond: number;
    /**
     * The bucket's clock in milliseconds, `performance.now` when omitted. A test moves its own, so
     * that what refills does not depend on how fast a loaded machine sends the calls.
     */
    clock?: () => number;
}

/** Step Functions' documented default quota for each task-token action, per account and region. */
export const STEP_FUNCTIONS_TASK_TOKEN_QUOTA = {
    /** us-east-1, us-west-2, eu-west-1. */
    largeRegions: { capacity: 3000, refillPerSecond: 500 },
    /** Every other region. */
    otherRegions: { capacity: 1500, refillPerSecond: 300 },
} as const satisfies Record<string, Throttle>;

export interface EndpointOptions {
    /** How each call is answered; success when omitted. */
    respond?: (call: EndpointCall) => Reply;
    /** Delay before each answer, as a network and service would add. */
    latencyMs?: number;
    /** Throttling, one bucket per action, each full at the start; none when omitted. */
    throttle?: Throttle;
    /**
     * Whether to keep every call in `calls` (default true: tests read them). The local run turns
     * it off: each call holds a task token and an output of up to 256 KiB, for as long as it runs.
     */
    recordCalls?: boolean;
    /** How each execution action is answered; without it they are unknown operations. */
    executions?: (call: ExecutionCall) => Reply;
}

/** A token bucket as Step Functions keeps one per action: full at the start, refilled continuously. */
class TokenBucket {
    private tokens: number;
    private updated: number;
    private readonly now: () => number;

    constructor(private readonly throttle: Throttle) {
        this.tokens = throttle.capacity;
        this.now = throttle.clock ?? (() => performance.now());
        this.updated = this.now();
    }

    /** Takes a token if there is one. */
    public take(): boolean {
        const now = this.now();
        this.tokens = Math.min(this.throttle.capacity, this.tokens + ((now - this.updated) / 1000) * this.throttle.refillPerSecond);
        this.updated = now;
        if (this.tokens < 1) return false;
        this.tokens -= 1;
        return true;
    }
}

const JSON_1_0 = "application/x-amz-json-1.0";

export class StepFunctionsEndpoint {
    /** Every call received, in order. */
    public readonly calls: EndpointCall[] = [];
    /** Every HTTP request received, calls and refused requests alike (a malformed one is in no `calls`). */
    public requests = 0;
    public respond: (call: EndpointCall) => Reply;
    /** Every execution-action call received, in order (kept whatever `recordCalls` says: tests only). */
    public readonly executionCalls: ExecutionCall[] = [];
    public executions?: (call: ExecutionCall) => Reply;
    public latencyMs: number;
    private readonly recordCalls: boolean;
    private readonly attempts = new Map<string, number>();
    private throttleSetting?: Throttle;
    private readonly buckets = new Map<TaskTokenAction, TokenBucket>();

    private constructor(
        private readonly server: http.Server,
        options: EndpointOptions,
    ) {
        this.respond = options.respond ?? reply.ok;
        this.latencyMs = options.latencyMs ?? 0;
        this.throttleSetting = options.throttle;
        this.recordCalls = options.recordCalls ?? true;
        this.executions = options.executions;
    }

    /** The throttling in force; setting it (or `undefined`, for none) starts every bucket full. */
    public get throttle(): Throttle | undefined {
        return this.throttleSetting;
    }

    public set throttle(throttle: Throttle | undefined) {
        this.throttleSetting = throttle;
        this.buckets.clear();
    }

    /** Calls answered with `ThrottlingException` by the token bucket. */
    public get throttledCalls(): number {
        return this.calls.filter((call) => call.throttled).length;
    }

    /** Starts an endpoint on 127.0.0.1 on a free port. */
    public static async start(options: EndpointOptions = {}): Promise<StepFunctionsEndpoint> {
        const server = http.createServer();
        const endpoint = new StepFunctionsEndpoint(server, options);
        // A request whose client goes away mid-body (or that close() cuts) rejects: not a crash.
        server.on("request", (req, res) => endpoint.handle(req, res).catch(() => res.destroy()));
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

    /** Forgets the calls and requests so far and fills the token buckets (the reply function and throttling stay). */
    public reset(): void {
        this.calls.length = 0;
        this.executionCalls.length = 0;
        this.requests = 0;
        this.attempts.clear();
        this.buckets.clear();
    }

    public async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        this.requests++;
        const chunks: Buffer[] = [];
        // A client that goes away before the body ends (a call aborted at its deadline) rejects this
        // loop; the request listener in start() then destroys the response: nobody is left to answer.
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
        const executionAction = EXECUTION_ACTIONS.find((name) => `AWSStepFunctions.${name}` === target);
        const executions = executionAction !== undefined ? this.executions : undefined;
        if (!target.startsWith("AWSStepFunctions.") || (!TASK_TOKEN_ACTIONS.includes(action) && executions === undefined)) {
            return protocolError("UnknownOperationException", `unsupported target ${target}`);
        }
        let input: Record<string, unknown>;
        try {
            input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
        } catch {
            return protocolError("SerializationException", "body is not JSON");
        }
        if (executionAction !== undefined && executions !== undefined) {
            const call: ExecutionCall = { action: executionAction, input, headers: req.headers };
            this.executionCalls.push(call);
            return this.answer(req, res, executions(call));
        }

        const key = `${action} ${String(input.taskToken)}`;
        const attempt = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempt);
        const throttled = !this.takeToken(action);
        const call: EndpointCall = { action, input, attempt, headers: req.headers, ...(throttled && { throttled }) };
        if (this.recordCalls) this.calls.push(call);

        // Step Functions throttles before it looks at the request: `respond` is not asked.
        const answer = throttled ? reply.error("ThrottlingException", 400, "Rate exceeded") : this.respond(call);
        await this.answer(req, res, answer);
    }

    /** Sends `answer` after the endpoint's latency. */
    private async answer(req: http.IncomingMessage, res: http.ServerResponse, answer: Reply): Promise<void> {
        const send = (status: number, body: unknown) => {
            res.writeHead(status, { "Content-Type": JSON_1_0 });
            res.end(JSON.stringify(body));
        };
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
                res.writeHead(answer.status, { "Content-Type": answer.contentType ?? JSON_1_0 });
                res.end(answer.body);
                return;
            case "json":
                return send(answer.status, answer.body);
        }
    }

    /** Whether the action's bucket had a token (always, without throttling). */
    private takeToken(action: TaskTokenAction): boolean {
        if (this.throttleSetting === undefined) return true;
        let bucket = this.buckets.get(action);
        if (bucket === undefined) this.buckets.set(action, (bucket = new TokenBucket(this.throttleSetting)));
        return bucket.take();
    }
}
