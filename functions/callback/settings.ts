/**
 * The function's settings, read from the environment the stack sets (`infra/task-token-function.ts`):
 * - `TASK_QUEUE_ARN`: only records from this queue are answered. Missing, every record is
 *   refused: an empty ARN matches no source, so a misconfigured function answers nothing.
 * - `HEARTBEAT_SECONDS`: the wait task's `HeartbeatSeconds`, when the stack sets one; heartbeats
 *   go out while the work runs. A value that is not a whole number of seconds is reported and
 *   ignored (the work still runs; a long one may then time out).
 */

/** The environment variables the stack sets on the function. */
export const FUNCTION_ENVIRONMENT = { taskQueueArn: "TASK_QUEUE_ARN", heartbeatSeconds: "HEARTBEAT_SECONDS" } as const;

export interface FunctionSettings {
    /** The task queue's ARN; "" when not set (every record is then refused). */
    taskQueueArn: string;
    /** The wait task's HeartbeatSeconds, when set. */
    heartbeatSeconds?: number;
    /** What is wrong with the environment, one sentence each, for the log. */
    problems: string[];
}

/** Reads the settings from `env`; never throws, so that the function loads and says what is wrong. */
export function functionSettings(env: Record<string, string | undefined>): FunctionSettings {
    const problems: string[] = [];
    const taskQueueArn = env[FUNCTION_ENVIRONMENT.taskQueueArn] ?? "";
    if (taskQueueArn === "") problems.push(`${FUNCTION_ENVIRONMENT.taskQueueArn} is not set: every record is refused`);
    const rawHeartbeat = env[FUNCTION_ENVIRONMENT.heartbeatSeconds];
    let heartbeatSeconds: number | undefined;
    if (rawHeartbeat !== undefined && rawHeartbeat !== "") {
        const parsed = /^\d+$/.test(rawHeartbeat) ? Number(rawHeartbeat) : NaN;
        if (Number.isSafeInteger(parsed) && parsed >= 1) heartbeatSeconds = parsed;
        else
            problems.push(
                `${FUNCTION_ENVIRONMENT.heartbeatSeconds} is ${JSON.stringify(rawHeartbeat.slice(0, 40))}, not a whole number of seconds of at least 1: no heartbeats are sent`,
            );
    }
    return { taskQueueArn, ...(heartbeatSeconds !== undefined ? { heartbeatSeconds } : {}), problems };
}
