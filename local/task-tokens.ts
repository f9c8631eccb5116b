/**
 * Task tokens as Step Functions keeps them, for the local run: each wait-for-callback task gets a
 * unique token; the first SendTaskSuccess or SendTaskFailure closes it; a later call with it gets
 * `TaskTimedOut`, an unknown token `InvalidToken`; `TimeoutSeconds` and `HeartbeatSeconds` end the
 * task with `States.Timeout`. The loopback endpoint answers the task-token actions from here.
 */
import { randomBytes } from "node:crypto";
import { clearLongTimeout, setLongTimeout, type LongTimeout } from "./long-timers";
import { reply, type EndpointCall, type Reply } from "./step-functions-endpoint";

/** How a task ended when it did not succeed; its `name` is the error the state machine sees. */
export class TaskError extends Error {
    constructor(name: string, cause: string) {
        super(cause);
        this.name = name;
    }
}

export interface OpenTaskOptions {
    /** The task's `TimeoutSeconds`. */
    timeoutSeconds: number;
    /** The task's `HeartbeatSeconds`, if any. */
    heartbeatSeconds?: number;
}

interface OpenTask {
    resolve(output: unknown): void;
    reject(error: TaskError): void;
    result: Promise<unknown>;
    // Long timers: TimeoutSeconds and HeartbeatSeconds may be far past Node's longest setTimeout.
    timers: LongTimeout[];
    heartbeat?: { seconds: number; timer: LongTimeout };
}

/** How the local run's task tokens begin, as AWS's do. */
export const TOKEN_PREFIX = "AQ";

export class TaskTokens {
    private readonly open = new Map<string, OpenTask>();
    private readonly closed = new Set<string>();

    /**
     * Issues a new, unique token (as `$$.Task.Token`) for a task about to start. Callbacks with it
     * are accepted from now on; {@link waitFor} starts the task's clocks.
     */
    public issue(): string {
        // Starts as AWS's do ("AQ…"): a token of URL-safe base64 could start with "-", which a
        // command line reads as a flag (`npm run callback -- --token -x…`: "argument is ambiguous").
        const token = `${TOKEN_PREFIX}${randomBytes(96).toString("base64url")}`;
        let resolve!: (output: unknown) => void;
        let reject!: (error: TaskError) => void;
        const result = new Promise<unknown>((res, rej) => {
            resolve = res;
            reject = rej;
        });
        result.catch(() => undefined); // observed by waitFor; never an unhandled rejection
        this.open.set(token, { resolve, reject, result, timers: [] });
        return token;
    }

    /**
     * Waits for the task's callback: resolves with the output of SendTaskSuccess, rejects with a
     * {@link TaskError} on SendTaskFailure or when TimeoutSeconds or HeartbeatSeconds pass.
     */
    public waitFor(token: string, options: OpenTaskOptions): Promise<unknown> {
        const task = this.open.get(token);
        if (task === undefined) return Promise.reject(new TaskError("States.Runtime", "unknown or closed task token"));
        task.timers.push(
            setLongTimeout(
                () =>
                    this.close(token, (t) =>
                        t.reject(new TaskError("States.Timeout", `No callback within TimeoutSeconds (${options.timeoutSeconds}).`)),
                    ),
                options.timeoutSeconds * 1000,
            ),
        );
        if (options.heartbeatSeconds !== undefined) {
            task.heartbeat = { seconds: options.heartbeatSeconds, timer: this.heartbeatTimer(token, options.heartbeatSeconds) };
        }
        return task.result;
    }

    /** Answers a task-token call of the loopback endpoint. */
    public respond(call: EndpointCall): Reply {
        const token = typeof call.input.taskToken === "string" ? call.input.taskToken : "";
        const task = this.open.get(token);
        if (task === undefined) {
            return this.closed.has(token)
                ? reply.error("TaskTimedOut", 400, "Task Timed Out: 'Provided task does not exist anymore'")
                : reply.error("InvalidToken", 400, "Invalid token");
        }
        switch (call.action) {
            case "SendTaskSuccess": {
                let output: unknown;
                try {
                    output = JSON.parse(String(call.input.output));
                } catch {
                    return reply.error("InvalidOutput", 400, "Invalid JSON output");
                }
                this.close(token, (t) => t.resolve(output));
                return reply.ok();
            }
            case "SendTaskFailure": {
                const error = typeof call.input.error === "string" ? call.input.error : "";
                const cause = typeof call.input.cause === "string" ? call.input.cause : "";
                this.close(token, (t) => t.reject(new TaskError(error, cause)));
                return reply.ok();
            }
            case "SendTaskHeartbeat":
                if (task.heartbeat !== undefined) {
                    clearLongTimeout(task.heartbeat.timer);
                    task.heartbeat.timer = this.heartbeatTimer(token, task.heartbeat.seconds);
                }
                return reply.ok();
        }
    }

    /** Tokens still waiting for a callback. */
    public get waiting(): number {
        return this.open.size;
    }

    /** Ends every open task (the run is over) so that no timer keeps the process alive. */
    public closeAll(): void {
        for (const token of [...this.open.keys()])
            this.close(token, (t) => t.reject(new TaskError("States.Runtime", "The local run ended.")));
    }

    private heartbeatTimer(token: string, seconds: number): LongTimeout {
        return setLongTimeout(
            () => this.close(token, (t) => t.reject(new TaskError("States.Timeout", `No heartbeat within HeartbeatSeconds (${seconds}).`))),
            seconds * 1000,
        );
    }

    private close(token: string, settle: (task: OpenTask) => void): void {
        const task = this.open.get(token);
        if (task === undefined) return;
        this.open.delete(token);
        this.closed.add(token);
        task.timers.forEach(clearLongTimeout);
        if (task.heartbeat !== undefined) clearLongTimeout(task.heartbeat.timer);
        settle(task);
    }
}
