/**
 * A partner system on loopback, for the local run's `handoff` scenario: its API takes a task
 * (`POST /` with the task token, the execution's ARN and its input), answers 202 at once, works on
 * it for a while, sending heartbeats, and then answers the task itself, as an external process
 * does, with the code `npm run callback` uses.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** The environment variable that tells the hand-off function where the partner's API listens. */
export const PARTNER_URL_VARIABLE = "PARTNER_API_URL";

/** A task the partner was given. */
export interface PartnerTask {
    taskToken: string;
    executionId?: string;
    input?: unknown;
}

export interface PartnerOptions {
    /** How long the partner works on a task before it answers. */
    workMs: number;
    /** Milliseconds between heartbeats while it works; none when omitted. */
    heartbeatMs?: number;
    /** Sends a heartbeat for the task. */
    heartbeat(task: PartnerTask): Promise<void>;
    /** Answers the task once the work is done. */
    answer(task: PartnerTask): Promise<void>;
    /** Called when a heartbeat or the answer fails (the local run reports it). */
    onError(task: PartnerTask, error: unknown): void;
}

/** The largest request the partner reads: a task token, an ARN and an execution input (256 KiB). */
const MAX_REQUEST_BYTES = 300 * 1024;

export class PartnerApi {
    private readonly timers = new Set<NodeJS.Timeout>();
    /**
     * Tasks at work, by token: what ends {@link whenAnswered}'s wait. A task leaves once it is
     * answered, so that a long run keeps none of its tokens and inputs.
     */
    private readonly working = new Map<string, { answered: Promise<void>; end: () => void }>();

    private constructor(
        private readonly server: http.Server,
        private readonly options: PartnerOptions,
    ) {}

    /** Starts the API on 127.0.0.1 on a free port. */
    public static async start(options: PartnerOptions): Promise<PartnerApi> {
        const server = http.createServer();
        const partner = new PartnerApi(server, options);
        // A request whose client goes away mid-body (or that close() cuts) rejects: not a crash.
        server.on("request", (req, res) => partner.handle(req, res).catch(() => res.destroy()));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return partner;
    }

    /** The URL the hand-off work posts to. */
    public get url(): string {
        const { port } = this.server.address() as AddressInfo;
        return `http://127.0.0.1:${port}/`;
    }

    /**
     * Resolves once the partner has answered the task (whether Step Functions took the answer or
     * not: `onError` says), or at once when it has no such task at work. The task may have ended
     * before (a timeout shorter than the partner's work): the answer still goes out, late, as an
     * external process's would.
     */
    public whenAnswered(taskToken: string): Promise<void> {
        return this.working.get(taskToken)?.answered ?? Promise.resolve();
    }

    /** Stops taking tasks, cancels the work in progress and closes the server. */
    public async close(): Promise<void> {
        for (const timer of this.timers) clearTimeout(timer);
        this.timers.clear();
        for (const { end } of this.working.values()) end();
        this.working.clear();
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const refuse = (status: number, reason: string, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "Content-Type": "text/plain", ...headers });
            res.end(reason);
        };
        if (req.method !== "POST") return refuse(405, "POST a task");
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of req) {
            size += (chunk as Buffer).length;
            // The rest of the body is never read: the connection cannot serve another request, so it closes.
            if (size > MAX_REQUEST_BYTES) return refuse(413, "task too large", { Connection: "close" });
            chunks.push(chunk as Buffer);
        }
        let task: PartnerTask;
        try {
            task = JSON.parse(Buffer.concat(chunks).toString("utf8")) as PartnerTask;
        } catch {
            return refuse(400, "not JSON");
        }
        if (typeof task?.taskToken !== "string" || task.taskToken === "") return refuse(400, "no taskToken");
        res.writeHead(202, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ accepted: true }));
        this.work(task);
    }

    /** Works on the task: heartbeats every `heartbeatMs`, then the answer after `workMs`. */
    private work(task: PartnerTask): void {
        const { workMs, heartbeatMs } = this.options;
        const later = (ms: number, action: () => Promise<void>, then?: () => void) => {
            const timer = setTimeout(() => {
                this.timers.delete(timer);
                action()
                    .catch((error: unknown) => this.options.onError(task, error))
                    .finally(then);
            }, ms);
            this.timers.add(timer);
        };
        let end!: () => void;
        const entry = { answered: new Promise<void>((resolve) => (end = resolve)), end: () => end() };
        this.working.set(task.taskToken, entry); // a task given twice: the later one is waited for
        if (heartbeatMs !== undefined) {
            for (let at = heartbeatMs; at < workMs; at += heartbeatMs) later(at, () => this.options.heartbeat(task));
        }
        later(
            workMs,
            () => this.options.answer(task),
            () => {
                if (this.working.get(task.taskToken) === entry) this.working.delete(task.taskToken);
                entry.end();
            },
        );
    }
}
