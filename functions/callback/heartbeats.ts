/**
 * Heartbeats for a task whose wait-for-callback state has `HeartbeatSeconds`: Step Functions fails
 * such a task with `States.Timeout` when no heartbeat (and no result) arrives for that long, so
 * while the work for a record runs, `SendTaskHeartbeat` goes out at a fraction of the interval.
 */

/** Heartbeats go out three times per `HeartbeatSeconds`: two in a row may fail and the task still lives. */
export const HEARTBEATS_PER_INTERVAL = 3;

/**
 * The longest delay a timer takes: Node fires a `setTimeout` of more than 2^31 - 1 ms (24.8 days)
 * after 1 ms instead, with only a warning.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Milliseconds between heartbeats for a task's `HeartbeatSeconds`. At most {@link MAX_TIMER_MS}:
 * a `HeartbeatSeconds` over 74 days would otherwise send one every millisecond; no work runs long
 * enough to need one at that interval.
 */
export function heartbeatIntervalMs(heartbeatSeconds: number): number {
    return Math.min(MAX_TIMER_MS, Math.floor((heartbeatSeconds * 1000) / HEARTBEATS_PER_INTERVAL));
}

export interface HeartbeatOptions {
    /** Milliseconds between the end of one heartbeat and the start of the next. */
    intervalMs: number;
    /** Sends one heartbeat; rejects as the SDK does. */
    send(): Promise<unknown>;
    /** Whether an error of `send` means the task is gone (`TaskTimedOut`, …): heartbeats stop. */
    isTaskGone(error: unknown): boolean;
    /** Called once when a heartbeat finds the task gone. */
    onTaskGone(error: unknown): void;
    /** Called for any other failed heartbeat; the next one is still sent. */
    onError(error: unknown): void;
}

/**
 * Sends heartbeats until stopped: the first after one interval, each next one an interval after
 * the previous one ended (so that slow calls never pile up). Returns the function that stops them.
 */
export function startHeartbeats(options: HeartbeatOptions): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const beat = async () => {
        try {
            await options.send();
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
    };
}
