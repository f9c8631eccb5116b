/**
 * The alarms of the stack, as pure data: what each watches, and when it fires. The component in
 * `callback-alarms.ts` creates one CloudWatch alarm per entry.
 */

/**
 * One alarm. `T` is the type of the names and ARNs it watches, `N` of a threshold computed from a
 * setting: plain values in tests, Pulumi inputs in the component (names are known only once the
 * resources exist, and a setting may be a secret).
 */
export interface AlarmSpec<T = string, N = number> {
    /** Suffix of the alarm's name; the stack's name comes before it. */
    id: string;
    description: string;
    namespace: "AWS/SQS" | "AWS/States" | "AWS/Lambda";
    metricName: string;
    dimensions: Record<string, T>;
    statistic: "Sum" | "Maximum";
    /** Fires when the statistic over one period is at least (GreaterThanOrEqualToThreshold) this. */
    threshold: number | N;
    periodSeconds: number;
}

export interface AlarmTargets<T = string, N = number> {
    /** Name of the dead-letter queue (SQS metrics take names). */
    deadLetterQueueName: T;
    /** Name of the task queue. */
    queueName: T;
    /** ARN of the state machine. */
    stateMachineArn: T;
    /** Name of the callback function. */
    functionName: T;
    /** The age at which a task message can no longer be answered: see {@link maxMessageAgeSeconds}. */
    maxMessageAgeSeconds: N;
}

/** A task message older than the wait task's TimeoutSeconds belongs to an execution that no longer waits for it. */
export function maxMessageAgeSeconds(taskTimeoutSeconds: number): number {
    return taskTimeoutSeconds + 1;
}

const PERIOD = 60;

/** Every alarm the stack creates. */
export function alarmSpecs<T, N>(t: AlarmTargets<T, N>): AlarmSpec<T, N>[] {
    const execution = (id: string, metricName: string, what: string): AlarmSpec<T, N> => ({
        id,
        description: `An execution of the state machine ${what}.`,
        namespace: "AWS/States",
        metricName,
        dimensions: { StateMachineArn: t.stateMachineArn },
        statistic: "Sum",
        threshold: 1,
        periodSeconds: PERIOD,
    });
    return [
        {
            id: "dead-letters",
            description:
                "A message is in the dead-letter queue: the callback function could not process it. Inspect it, fix the cause, then start a new execution with its input and delete it (a redrive to the task queue is refused: see docs/operations.md, Dead letters).",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: t.deadLetterQueueName },
            statistic: "Maximum",
            threshold: 1,
            periodSeconds: PERIOD,
        },
        execution("executions-failed", "ExecutionsFailed", "failed"),
        execution("executions-timed-out", "ExecutionsTimedOut", "timed out"),
        execution("executions-aborted", "ExecutionsAborted", "was aborted"),
        {
            id: "function-errors",
            description: "The callback function failed an invocation.",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: t.functionName },
            statistic: "Sum",
            threshold: 1,
            periodSeconds: PERIOD,
        },
        {
            id: "function-throttles",
            description: "The callback function was throttled.",
            namespace: "AWS/Lambda",
            metricName: "Throttles",
            dimensions: { FunctionName: t.functionName },
            statistic: "Sum",
            threshold: 1,
            periodSeconds: PERIOD,
        },
        {
            id: "oldest-message-age",
            description:
                "The oldest message in the task queue is older than the task timeout: its execution can no longer get the callback.",
            namespace: "AWS/SQS",
            metricName: "ApproximateAgeOfOldestMessage",
            dimensions: { QueueName: t.queueName },
            statistic: "Maximum",
            threshold: t.maxMessageAgeSeconds,
            periodSeconds: PERIOD,
        },
    ];
}
