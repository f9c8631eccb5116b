/**
 * The state machine definition (Amazon States Language) of the callback pattern, as a pure function
 * of the queue, the topic and the timeouts. The stack and any local run build it from here, so what
 * is tested is what is deployed.
 */

/** AWS's state names, kept so that the console's sample and this project read the same. */
export const STATE_NAMES = {
    waitForCallback: "Start Task And Wait For Callback",
    notifySuccess: "Notify Success",
    notifyFailure: "Notify Failure",
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
    Retry?: Retrier[];
    Catch?: Catcher[];
    Next?: string;
    End?: true;
}

export interface StateMachineDefinition {
    Comment: string;
    StartAt: string;
    States: Record<string, TaskState>;
}

/**
 * Builds the definition. The message sent to the queue is the contract with the callback function:
 * `{ MessageTitle, TaskToken, ExecutionId, Input }` (see README, "The queued message").
 */
export function buildCallbackDefinition(args: CallbackDefinitionArgs): StateMachineDefinition {
    const { partition, queueUrl, topicArn, taskTimeoutSeconds, heartbeatSeconds } = args;
    if (!Number.isInteger(taskTimeoutSeconds) || taskTimeoutSeconds < 1) {
        throw new RangeError(`taskTimeoutSeconds must be a positive whole number, got ${taskTimeoutSeconds}`);
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
    // A failed publish is tried again (at worst a notification arrives twice); States.TaskFailed
    // matches every task error except States.Timeout, which a publish does not raise.
    const publishRetry: Retrier[] = [{ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }];

    return {
        Comment:
            "Callback pattern: send a task token to SQS, wait for the callback (SendTaskSuccess/SendTaskFailure), then notify through SNS.",
        StartAt: STATE_NAMES.waitForCallback,
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
            [STATE_NAMES.notifySuccess]: {
                Type: "Task",
                Resource: integration("sns:publish"),
                Parameters: { TopicArn: topicArn, Message: SUCCESS_MESSAGE },
                Retry: publishRetry,
                End: true,
            },
            [STATE_NAMES.notifyFailure]: {
                Type: "Task",
                Resource: integration("sns:publish"),
                Parameters: {
                    TopicArn: topicArn,
                    // The whole error object, not $.error.Cause: a timeout or a SendTaskFailure
                    // without a cause has no Cause field, and a missing path would fail the state.
                    "Message.$": `States.Format('${FAILURE_MESSAGE} Error: {}', States.JsonToString($))`,
                },
                Retry: publishRetry,
                End: true,
            },
        },
    };
}
