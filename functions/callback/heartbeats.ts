/**
 * Heartbeats for a task whose wait-for-callback state has `HeartbeatSeconds`: Step Functions fails
 * such a task with `States.Timeout` when no heartbeat (and no result) arrives for that long, so
 * while the work for a record runs, `SendTaskHeartbeat` goes out at a fraction of the interval.
 */
import { MAX_TIMER_MS } from "./deadline";

/** Heartbeats go out three times per `HeartbeatSeconds`: two in a row may fail and the task still lives. */
export const HEARTBEATS_PER_INTERVAL = 3;

/**
 * Milliseconds between heartbeats for a task's `HeartbeatSeconds`. At most {@link MAX_TIMER_MS}:
 * the stack allows `HeartbeatSeconds` up to a year, and a longer delay would make the timer fire
 * after 1 ms, a heartbeat per round trip; no invocation (900 s at most) lasts that long anyway.
 */
export function heartbeatIntervalMs(heartbeatSeconds: number): number {
    return Math.min(Math.floor((heartbeatSeconds * 1000) / HEARTBEATS_PER_INTERVAL), MAX_TIMER_MS);
}

export interface HeartbeatOptions {
    /** Milliseconds between the end of one heartbeat and the start of the next. */
    intervalMs: number;
    /**
     * Sends one heartbeat; rejects as the SDK does. `signal` aborts when heartbeats stop: a
     * heartbeat still in flight then is of no use and must not hold a call slot from the callback.
     */
    send(signal: AbortSignal): Promise<unknown>;
    /** Whether an error of `send` means the task is gone (`TaskTimedOut`, …): heartbeats stop. */
    isTaskGone(error: unknown): boolean;
    /** Called once when a heartbeat finds the task gone. */
    onTaskGone(error: unknown): void;
    /** Called for any other failed heartbeat; the next one is still sent. */
    onError(error: unknown): void;
}

/**
 * Sends heartbeats until stopped: the first after one interval, each next one an interval after
 * the previous one ended (so that slow calls never pile up). Returns the function that stops them,
 * and aborts the heartbeat in flight, if any.
 */
export function startHeartbeats(options: HeartbeatOptions): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const stop = new AbortController();
    const beat = async () => {
        try {
            await options.send(stop.signal);
        } catch (error) {
            if (stopped) return;
            if (options.isTaskGone(error)) {
                stopped = true;
                options.onTaskGone(error);
                return;
            }
            options.onError(error);
        }
        if (!stopped) timer = setTimeout(() => void beat(), options.intervalMs);
    };
    timer = setTimeout(() => void beat(), options.intervalMs);
    return () => {
        stopped = true;
        clearTimeout(timer);
        stop.abort();
    };
}
