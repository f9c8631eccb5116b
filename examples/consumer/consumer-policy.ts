/** What the consumer's role may do with the callback-pattern stack, as a pure function of its outputs. */

export interface ConsumerPolicyDocument {
    Version: "2012-10-17";
    Statement: { Sid: string; Effect: "Allow"; Action: string[]; Resource: string[] }[];
}

/** The ARN pattern of a state machine's executions: `…:execution:<state machine name>:*`. */
export function executionsOf(stateMachineArn: string): string {
    const parts = stateMachineArn.split(":");
    if (parts.length !== 7 || parts[5] !== "stateMachine") throw new Error(`${stateMachineArn} is not a state machine ARN`);
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
