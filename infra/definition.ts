/**
 * The state machine definition (Amazon States Language) of the callback pattern, as a pure function
 * of the queue, the topic and the timeouts. The stack and any local run build it from here, so what
 * is tested is what is deployed.
 */

/**
 * The state names. The first three are AWS's, kept so that the console's sample and this project
 * read the same; the rest end a failed execution with the error that was caught.
 */
export const STATE_NAMES = {
    waitForCallback: "Start Task And Wait For Callback",
    notifySuccess: "Notify Success",
    notifyFailure: "Notify Failure",
    checkFailure: "Check Failure",
    failWithCause: "Task Failed",
    failWithoutCause: "Task Failed Without Cause",
    failUnnamed: "Task Failed Without Error Name",
} as const;

/** The title the queued message carries (AWS's wording). */
export const MESSAGE_TITLE = "Task started by Step Functions. Waiting for callback with task token.";
/** What "Notify Success" publishes (AWS's wording). */
export const SUCCESS_MESSAGE = "Callback received. Task started by Step Functions succeeded.";
/** How "Notify Failure" begins (AWS's wording); the error and its cause follow it. */
export const FAILURE_MESSAGE = "Task started by Step Functions failed.";

export interface CallbackDefinitionArgs {
    /** AWS partition of the stack (`aws`, `aws-cn`, `aws-us-gov`): service integration ARNs name it. */
    partition: string;
    /** URL of the queue that receives the task token. */
    queueUrl: string;
    /** ARN of the topic that "Notify Success" and "Notify Failure" publish to. */
    topicArn: string;
    /** How long the execution waits for the callback before `States.Timeout`. */
    taskTimeoutSeconds: number;
    /** Optional: the callback must send a heartbeat at least this often, or `States.Timeout`. */
    heartbeatSeconds?: number;
}

/** The part of a Retry or Catch rule that this definition uses. */
export interface Retrier {
    ErrorEquals: string[];
    IntervalSeconds: number;
    MaxAttempts: number;
    BackoffRate: number;
}
export interface Catcher {
    ErrorEquals: string[];
    ResultPath?: string;
    Next: string;
}

/** The Task state fields this definition uses (JSONPath query language). */
export interface TaskState {
    Type: "Task";
    Comment?: string;
    Resource: string;
    Parameters: Record<string, unknown>;
    TimeoutSeconds?: number;
    HeartbeatSeconds?: number;
    /** `null` discards the task's result: the state's output is its input. */
    ResultPath?: string | null;
    Retry?: Retrier[];
    Catch?: Catcher[];
    Next?: string;
    End?: true;
}

/** The Choice comparisons this definition uses: whether a field is there, is a string, equals a string. */
export type ChoiceTest =
    | { Variable: string; IsPresent: boolean }
    | { Variable: string; IsString: boolean }
    | { Variable: string; StringEquals: string }
    | { Not: ChoiceTest };

/** A top-level Choice rule: a test and where it leads. */
export type ChoiceRule = ChoiceTest & { Next: string };

export interface ChoiceState {
    Type: "Choice";
    Comment?: string;
    Choices: ChoiceRule[];
    Default: string;
}

/** A Fail state: a fixed error and cause, or paths into its input. */
export interface FailState {
    Type: "Fail";
    Comment?: string;
    Error?: string;
    Cause?: string;
    ErrorPath?: string;
    CausePath?: string;
}

export interface CallbackStates {
    [STATE_NAMES.waitForCallback]: TaskState;
    [STATE_NAMES.notifySuccess]: TaskState;
    [STATE_NAMES.notifyFailure]: TaskState;
    [STATE_NAMES.checkFailure]: ChoiceState;
    [STATE_NAMES.failWithCause]: FailState;
    [STATE_NAMES.failWithoutCause]: FailState;
    [STATE_NAMES.failUnnamed]: FailState;
}

export interface StateMachineDefinition {
    Comment: string;
    StartAt: string;
    /** The execution's deadline: see {@link executionTimeoutSeconds}. */
    TimeoutSeconds: number;
    States: CallbackStates;
}

/**
 * How long one publish attempt of a notify state may take. An SNS publish answers in milliseconds;
 * an attempt that takes this long is stuck, and is tried again.
 */
export const NOTIFY_TIMEOUT_SECONDS = 10;

/**
 * The retry of the notify states. A failed or stuck publish is tried again (at worst a
 * notification arrives twice). States.TaskFailed matches every task error but States.Timeout,
 * which the attempt's TimeoutSeconds raises, so both are named.
 */
export const NOTIFY_RETRY: Readonly<Retrier> = Object.freeze({
    ErrorEquals: ["States.TaskFailed", "States.Timeout"],
    IntervalSeconds: 1,
    MaxAttempts: 3,
    BackoffRate: 2,
});

/** The longest a notify state can take: every attempt timing out, with the waits between them. */
export function notifyBudgetSeconds(retry: Readonly<Retrier> = NOTIFY_RETRY, attemptSeconds = NOTIFY_TIMEOUT_SECONDS): number {
    let waits = 0;
    for (let i = 0; i < retry.MaxAttempts; i++) waits += retry.IntervalSeconds * retry.BackoffRate ** i;
    return (retry.MaxAttempts + 1) * attemptSeconds + Math.ceil(waits);
}

/** The error of an execution whose task failed without an error name. */
export const UNNAMED_FAILURE_ERROR = "States.TaskFailed";

/** Slack for the transitions between states (Step Functions schedules each one). */
export const TRANSITION_SLACK_SECONDS = 10;

/** One year: the longest a Standard execution may run. */
export const MAX_EXECUTION_SECONDS = 365 * 24 * 60 * 60;

/**
 * The execution's deadline (top-level TimeoutSeconds): the wait task's timeout, then one notify
 * state at its worst (only one of them runs), plus slack for the transitions. Every state has a
 * bound of its own, so an execution that reaches this deadline was held up by Step Functions itself
 * (throttled transitions, say) or runs a definition changed outside the stack: it ends TIMED_OUT,
 * and the `executions-timed-out` alarm fires.
 */
export function executionTimeoutSeconds(taskTimeoutSeconds: number): number {
    return taskTimeoutSeconds + notifyBudgetSeconds() + TRANSITION_SLACK_SECONDS;
}

/** The longest `taskTimeoutSeconds` whose execution deadline still fits in a Standard execution's year. */
export const MAX_TASK_TIMEOUT_SECONDS = MAX_EXECUTION_SECONDS - executionTimeoutSeconds(0);

/**
 * Builds the definition. The message sent to the queue is the contract with the callback function:
 * `{ MessageTitle, TaskToken, ExecutionId, Input }` (see docs/callback-function.md, "The queued message").
 */
export function buildCallbackDefinition(args: CallbackDefinitionArgs): StateMachineDefinition {
    const { partition, queueUrl, topicArn, taskTimeoutSeconds, heartbeatSeconds } = args;
    if (!Number.isInteger(taskTimeoutSeconds) || taskTimeoutSeconds < 1 || taskTimeoutSeconds > MAX_TASK_TIMEOUT_SECONDS) {
        throw new RangeError(`taskTimeoutSeconds must be a whole number from 1 to ${MAX_TASK_TIMEOUT_SECONDS}, got ${taskTimeoutSeconds}`);
    }
    if (
        heartbeatSeconds !== undefined &&
        !(Number.isInteger(heartbeatSeconds) && heartbeatSeconds >= 1 && heartbeatSeconds < taskTimeoutSeconds)
    ) {
        throw new RangeError(
            `heartbeatSeconds must be a positive whole number below taskTimeoutSeconds (${taskTimeoutSeconds}), got ${heartbeatSeconds}`,
        );
    }

    const integration = (service: string) => `arn:${partition}:states:::${service}`;
    const publish = (parameters: Record<string, unknown>): TaskState => ({
        Type: "Task",
        Resource: integration("sns:publish"),
        Parameters: { TopicArn: topicArn, ...parameters },
        TimeoutSeconds: NOTIFY_TIMEOUT_SECONDS,
        Retry: [{ ...NOTIFY_RETRY, ErrorEquals: [...NOTIFY_RETRY.ErrorEquals] }],
    });

    return {
        Comment:
            "Callback pattern: send a task token to SQS, wait for the callback (SendTaskSuccess/SendTaskFailure), then notify through SNS; a failed task fails the execution.",
        StartAt: STATE_NAMES.waitForCallback,
        TimeoutSeconds: executionTimeoutSeconds(taskTimeoutSeconds),
        States: {
            [STATE_NAMES.waitForCallback]: {
                Type: "Task",
                Resource: integration("sqs:sendMessage.waitForTaskToken"),
                Parameters: {
                    QueueUrl: queueUrl,
                    MessageBody: {
                        MessageTitle: MESSAGE_TITLE,
                        "TaskToken.$": "$$.Task.Token",
                        "ExecutionId.$": "$$.Execution.Id",
                        "Input.$": "$",
                    },
                },
                // Without a timeout the task waits for a year when the callback never comes.
                TimeoutSeconds: taskTimeoutSeconds,
                ...(heartbeatSeconds !== undefined ? { HeartbeatSeconds: heartbeatSeconds } : {}),
                // No ResultPath: the error object ({"Error": …, "Cause": …}) becomes the whole input of
                // "Notify Failure". A path such as "$.error" would keep the execution input beside it,
                // but fails with States.ResultPathMatchFailure (and no notification) whenever the input
                // is not a JSON object; the input stays available as $$.Execution.Input.
                Catch: [{ ErrorEquals: ["States.ALL"], Next: STATE_NAMES.notifyFailure }],
                Next: STATE_NAMES.notifySuccess,
            },
            [STATE_NAMES.notifySuccess]: { ...publish({ Message: SUCCESS_MESSAGE }), End: true },
            [STATE_NAMES.notifyFailure]: {
                // The whole error object, not $.error.Cause: a timeout or a SendTaskFailure without a
                // cause has no Cause field, and a missing path would fail the state.
                ...publish({ "Message.$": `States.Format('${FAILURE_MESSAGE} Error: {}', States.JsonToString($))` }),
                // Keep the error object (the input, always a JSON object) for the Fail state, not the publish result.
                ResultPath: null,
                // A notification that cannot be sent must not hide the task's own error: the execution
                // still fails with it, and the history shows the failed publish.
                Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.NotificationError", Next: STATE_NAMES.checkFailure }],
                Next: STATE_NAMES.checkFailure,
            },
            // A Fail state whose ErrorPath or CausePath finds nothing, or finds something other than a
            // string, fails with States.Runtime instead of the caught error; so does a comparison on a
            // missing field. A SendTaskFailure may leave out its cause (or even its error), so the rules
            // look at one thing at a time, in order (the first that matches wins, and each one is
            // reached only when the fields the rules before it ruled out are there), and lead to the
            // Fail state that reads only what is usable. The usual case, an error and a cause, is the default.
            [STATE_NAMES.checkFailure]: {
                Type: "Choice",
                Choices: [
                    { Not: { Variable: "$.Error", IsPresent: true }, Next: STATE_NAMES.failUnnamed },
                    { Not: { Variable: "$.Error", IsString: true }, Next: STATE_NAMES.failUnnamed },
                    { Variable: "$.Error", StringEquals: "", Next: STATE_NAMES.failUnnamed },
                    { Not: { Variable: "$.Cause", IsPresent: true }, Next: STATE_NAMES.failWithoutCause },
                    { Not: { Variable: "$.Cause", IsString: true }, Next: STATE_NAMES.failWithoutCause },
                ],
                Default: STATE_NAMES.failWithCause,
            },
            [STATE_NAMES.failWithCause]: { Type: "Fail", ErrorPath: "$.Error", CausePath: "$.Cause" },
            [STATE_NAMES.failWithoutCause]: { Type: "Fail", ErrorPath: "$.Error" },
            [STATE_NAMES.failUnnamed]: {
                Type: "Fail",
                Error: UNNAMED_FAILURE_ERROR,
                Cause: "The callback failed the task without naming an error.",
            },
        },
    };
}
