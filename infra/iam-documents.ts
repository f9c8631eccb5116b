/**
 * IAM policy documents of the stack, as pure functions of the ARNs they are scoped to. One role per
 * principal: the state machine's and the callback function's. Every statement names the stack's own
 * resources, except where AWS evaluates the action against no resource at all (noted on each).
 */

import { LOG_DELIVERY_ACTIONS, XRAY_TRACING_ACTIONS } from "../policy/actions-without-resource";

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource?: string[];
    Principal?: { Service: string } | { AWS: string } | "*";
    Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Trust policy: only `service` may assume the role, under `condition` when given. */
function trustPolicy(service: string, condition?: PolicyStatement["Condition"]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AssumedByService",
                Effect: "Allow",
                Principal: { Service: service },
                Action: ["sts:AssumeRole"],
                ...(condition !== undefined ? { Condition: condition } : {}),
            },
        ],
    };
}

/** Where the state machine role may be used: the account, region and partition of the stack. */
export interface StackLocation {
    accountId: string;
    region: string;
    partition: string;
}

/**
 * Trust policy of the state machine role: `states.amazonaws.com`, and only on behalf of a state
 * machine of this account and region. Both conditions are AWS's confused-deputy guard: without
 * them, Step Functions could be made to assume the role for a state machine of another account.
 * The ARN ends in `*`: the state machine's auto-generated name is known only after it exists, and
 * it needs the role to be created.
 */
export function stateMachineTrustPolicy(where: StackLocation): PolicyDocument {
    return trustPolicy("states.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": where.accountId },
        ArnLike: { "aws:SourceArn": `arn:${where.partition}:states:${where.region}:${where.accountId}:stateMachine:*` },
    });
}

/** Trust policy of the callback function role: `lambda.amazonaws.com` only. */
export function functionTrustPolicy(): PolicyDocument {
    return trustPolicy("lambda.amazonaws.com");
}

export interface QueuePolicyArgs {
    /** The task queue. */
    queueArn: string;
    /** The role the state machine runs as: the only principal that may send tasks. */
    senderRoleArn: string;
}

/**
 * Resource policy of the task queue. The callback function trusts every message on the queue with
 * a TaskToken, and tokens can be read from an execution's history: whoever may send to the queue
 * may answer any waiting task with a payload of their choosing. So nobody but the state machine's
 * role may send, whatever identity policies elsewhere in the account allow: an explicit Deny wins
 * over every Allow. (`aws:PrincipalArn` is the role's ARN for any session of the role.)
 */
export function taskQueuePolicy(args: QueuePolicyArgs): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "OnlyTheStateMachineSendsTasks",
                Effect: "Deny",
                Principal: "*",
                Action: ["sqs:SendMessage"],
                Resource: [args.queueArn],
                Condition: { ArnNotEquals: { "aws:PrincipalArn": args.senderRoleArn } },
            },
        ],
    };
}

export interface DeadLetterQueuePolicyArgs {
    /** The dead-letter queue. */
    deadLetterQueueArn: string;
    /** The task queue, the only source of its messages. */
    queueArn: string;
}

/**
 * Resource policy of the dead-letter queue: no identity sends to it. Messages arrive only when SQS
 * moves them from the task queue after `maxReceiveCount` receives (which its redrive allow policy
 * limits to that queue). That move needs no grant in any policy, so it is not a request an identity
 * makes; should SQS ever make it as a service request, the conditions let it through: the Deny
 * spares requests on behalf of the task queue (`aws:SourceArn`, which no identity can set) and
 * requests by a service principal (`aws:PrincipalServiceName` is present), which get no Allow here
 * anyway. A Deny that stopped the move would lose dead letters silently; this one cannot.
 */
export function deadLetterQueuePolicy(args: DeadLetterQueuePolicyArgs): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "NoDirectSends",
                Effect: "Deny",
                Principal: "*",
                Action: ["sqs:SendMessage"],
                Resource: [args.deadLetterQueueArn],
                Condition: { ArnNotEquals: { "aws:SourceArn": args.queueArn }, Null: { "aws:PrincipalServiceName": "true" } },
            },
        ],
    };
}

// Declared in the policy pack, beside the rule that admits them on "*": the pack must stay
// self-contained (it is published on its own), so the stack takes them from there.
export { LOG_DELIVERY_ACTIONS };

export interface StateMachinePolicyArgs {
    /** The queue the wait task sends the task token to. */
    queueArn: string;
    /** The topic the notify states publish to. */
    topicArn: string;
    /** The KMS key that encrypts the topic (the AWS managed `alias/aws/sns` key by default). */
    topicKeyArn: string;
    /** Region of the stack and DNS suffix of its partition: the key may be used only through SNS
     * there (`kms:ViaService` is `sns.<region>.<dnsSuffix>`, `amazonaws.com.cn` in China). */
    region: string;
    dnsSuffix: string;
}

/**
 * What the state machine's role may do: send to the queue, publish to the topic (with the key that
 * encrypts it), deliver its logs and write X-Ray traces.
 */
export function stateMachinePolicy(args: StateMachinePolicyArgs): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "SendTaskToken", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [args.queueArn] },
            { Sid: "PublishNotification", Effect: "Allow", Action: ["sns:Publish"], Resource: [args.topicArn] },
            {
                // Publishing to a KMS-encrypted topic makes SNS generate a data key with the
                // publisher's credentials. The queue uses SQS-managed encryption: no key to grant.
                Sid: "EncryptNotification",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: [args.topicKeyArn],
                Condition: { StringEquals: { "kms:ViaService": `sns.${args.region}.${args.dnsSuffix}` } },
            },
            {
                // Vended log delivery: these actions take no resource ARN (Step Functions developer
                // guide, "IAM policies for logging to CloudWatch Logs"), so "*" is the only choice.
                Sid: "DeliverLogs",
                Effect: "Allow",
                Action: [...LOG_DELIVERY_ACTIONS, "logs:DescribeLogGroups"],
                Resource: ["*"],
            },
            {
                // X-Ray trace actions take no resource ARN either.
                Sid: "WriteTraces",
                Effect: "Allow",
                Action: [...XRAY_TRACING_ACTIONS],
                Resource: ["*"],
            },
        ],
    };
}

export interface FunctionPolicyArgs {
    /** The queue the function is subscribed to. */
    queueArn: string;
    /** The state machine whose task tokens the function returns. */
    stateMachineArn: string;
    /** The function's own log group. */
    logGroupArn: string;
}

/**
 * What the callback function's role may do: consume its queue, answer the state machine's task
 * tokens, and write to its own log group.
 */
export function functionPolicy(args: FunctionPolicyArgs): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                // What the SQS event source mapping does on the function's behalf (AWS's Lambda guide
                // lists these three). The function itself makes no SQS call: a failed record goes back
                // through the partial batch response, not through ChangeMessageVisibility.
                Sid: "ConsumeQueue",
                Effect: "Allow",
                Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                Resource: [args.queueArn],
            },
            {
                // The service authorization reference lists no resource type for these actions, yet
                // for a token from a service-integration task Step Functions evaluates them against
                // the state machine ARN (AccessDenied messages name it, and aws-cdk#8486 tested it),
                // so scoping to the state machine works and keeps other workflows' tokens out of reach.
                Sid: "ReturnTaskToken",
                Effect: "Allow",
                Action: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                Resource: [args.stateMachineArn],
            },
            {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: [`${args.logGroupArn}:*`],
            },
        ],
    };
}

/**
 * Key policy of the customer managed key that encrypts the operations topic. CloudWatch cannot
 * publish to a topic encrypted with the AWS managed SNS key (its key policy cannot admit the
 * service), so this key admits `cloudwatch.amazonaws.com` for exactly the two actions publishing
 * needs. The first statement is AWS's default: without it nobody in the account could manage or
 * use the key through IAM, and it could never be deleted.
 */
export function operationsKeyPolicy(accountId: string, partition: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersKey",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: ["kms:*"],
                Resource: ["*"],
            },
            {
                Sid: "CloudWatchPublishesAlarms",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: ["*"],
            },
        ],
    };
}
