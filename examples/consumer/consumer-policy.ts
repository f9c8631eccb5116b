/** What the consumer's roles may do with the callback-pattern stack, as pure functions of its outputs. */

export interface ConsumerPolicyDocument {
    Version: "2012-10-17";
    Statement: { Sid: string; Effect: "Allow"; Action: string[]; Resource: string[] }[];
}

/** The parts of a state machine's ARN (`arn:<partition>:states:<region>:<account>:stateMachine:<name>`); throws for anything else, a wildcard included. */
function stateMachineArnParts(stateMachineArn: string): string[] {
    const parts = stateMachineArn.split(":");
    if (parts.length !== 7 || parts[0] !== "arn" || parts[2] !== "states" || parts[5] !== "stateMachine" || /[*?]/.test(stateMachineArn)) {
        throw new Error(`${stateMachineArn} is not a state machine ARN`);
    }
    return parts;
}

/** The ARN pattern of a state machine's executions: `…:execution:<state machine name>:*`. */
export function executionsOf(stateMachineArn: string): string {
    const parts = stateMachineArnParts(stateMachineArn);
    return [...parts.slice(0, 5), "execution", parts[6], "*"].join(":");
}

/**
 * A consumer starts executions and follows their status, history and output. It does not write
 * to the task queue: only the state machine may (the queue's policy denies everyone else).
 */
export function consumerPolicy(stateMachineArn: string): ConsumerPolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "StartExecutions", Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachineArn] },
            {
                Sid: "FollowExecutions",
                Effect: "Allow",
                Action: ["states:DescribeExecution", "states:GetExecutionHistory"],
                Resource: [executionsOf(stateMachineArn)],
            },
        ],
    };
}

/** The actions that return a task token: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. */
export const TASK_ANSWER_ACTIONS = ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"];

/**
 * The external process of a hand-off (a partner system, an approval service, a long job: whatever
 * completes a task that the callback function handed off) returns the task's token, and may do
 * nothing else: no StartExecution, no reading of executions, nothing on the queues.
 *
 * The resource is the state machine's ARN. The service authorization reference lists no resource
 * type for these actions, yet for a token of a service-integration task Step Functions evaluates
 * them against the ARN of the state machine that issued it (AccessDenied messages name it; see
 * `functionPolicy` in the callback-pattern stack's `infra/iam-documents.ts`). So the role answers this
 * state machine's tasks and no other workflow's.
 */
export function externalProcessPolicy(stateMachineArn: string): ConsumerPolicyDocument {
    stateMachineArnParts(stateMachineArn);
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "AnswerHandedOffTasks", Effect: "Allow", Action: [...TASK_ANSWER_ACTIONS], Resource: [stateMachineArn] }],
    };
}
