/**
 * IAM policy documents of the stack, as pure functions of the ARNs they are scoped to. One role per
 * principal: the state machine's and the callback function's. Every statement names the stack's own
 * resources, except where AWS evaluates the action against no resource at all (noted on each).
 */

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource?: string[];
    Principal?: { Service: string } | { AWS: string };
    Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/** Trust policy: only `service` may assume the role, optionally only for calls from `sourceAccount`. */
function trustPolicy(service: string, sourceAccount?: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AssumedByService",
                Effect: "Allow",
                Principal: { Service: service },
                Action: ["sts:AssumeRole"],
                // Confused-deputy guard: the service may assume this role only on behalf of this account.
                ...(sourceAccount !== undefined ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
            },
        ],
    };
}

/** Trust policy of the state machine role: `states.amazonaws.com`, for this account only. */
export function stateMachineTrustPolicy(accountId: string): PolicyDocument {
    return trustPolicy("states.amazonaws.com", accountId);
}

/** Trust policy of the callback function role: `lambda.amazonaws.com` only. */
export function functionTrustPolicy(): PolicyDocument {
    return trustPolicy("lambda.amazonaws.com");
}

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
                Action: [
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                Resource: ["*"],
            },
            {
                // X-Ray trace actions take no resource ARN either.
                Sid: "WriteTraces",
                Effect: "Allow",
                Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
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
                // What the SQS event source mapping does on the function's behalf.
                Sid: "ConsumeQueue",
                Effect: "Allow",
                Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
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
