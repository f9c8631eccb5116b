import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LogLevel } from "./config";
import { buildCallbackDefinition } from "./definition";
import { stateMachinePolicy, stateMachineTrustPolicy } from "./iam-documents";
import { createServiceRole } from "./service-role";

export interface CallbackStateMachineArgs {
    /** AWS partition of the stack (`aws`, `aws-cn`, …): service integration ARNs name it. */
    partition: pulumi.Input<string>;
    /** DNS suffix of the partition (`amazonaws.com`), for the `kms:ViaService` condition. */
    dnsSuffix: pulumi.Input<string>;
    /** Account of the stack: only its state machines may have Step Functions assume the role (`aws:SourceAccount`, `aws:SourceArn`). */
    accountId: pulumi.Input<string>;
    /** Region of the stack, for the `kms:ViaService` condition. */
    region: pulumi.Input<string>;
    /** URL of the queue that receives task tokens (the definition sends to it). */
    queueUrl: pulumi.Input<string>;
    /** ARN of that queue (the role may send to it). */
    queueArn: pulumi.Input<string>;
    /** ARN of the notification topic. */
    topicArn: pulumi.Input<string>;
    /** ARN of the KMS key that encrypts the topic. */
    topicKeyArn: pulumi.Input<string>;
    /** How long an execution waits for its callback before `States.Timeout`. */
    taskTimeoutSeconds: pulumi.Input<number>;
    /** Optional heartbeat interval of the wait task; smaller than the timeout. */
    heartbeatSeconds?: pulumi.Input<number>;
    /** What the state machine logs. */
    logLevel: pulumi.Input<LogLevel>;
    /** Whether logs carry execution input and output (task tokens among them). */
    includeExecutionData: pulumi.Input<boolean>;
    /** Retention of the state machine's log group. */
    logRetentionDays: pulumi.Input<number>;
    /** Optional permissions boundary of the role (the stack's `permissionsBoundaryArn`). */
    permissionsBoundaryArn?: pulumi.Input<string>;
    /** Tags for the role, log group and state machine. */
    tags: pulumi.Input<Record<string, string>>;
}

/**
 * The Standard state machine of the callback pattern, its own IAM role, and its log group.
 * Logs and X-Ray traces are on; execution data stays out of the logs unless asked for.
 */
export class CallbackStateMachine extends pulumi.ComponentResource {
    /** The Standard state machine. */
    public readonly stateMachine: aws.sfn.StateMachine;
    /** The role the state machine runs as. */
    public readonly role: aws.iam.Role;
    /** The state machine's log group. */
    public readonly logGroup: aws.cloudwatch.LogGroup;

    constructor(name: string, args: CallbackStateMachineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("callback-pattern:sfn:CallbackStateMachine", name, {}, opts);

        const { role, rolePolicy } = createServiceRole(
            name,
            {
                description: "Runs the callback-pattern state machine",
                trustPolicy: pulumi
                    .all([args.accountId, args.region, args.partition])
                    .apply(([accountId, region, partition]) => stateMachineTrustPolicy({ accountId, region, partition })),
                policy: pulumi
                    .all([args.queueArn, args.topicArn, args.topicKeyArn, args.region, args.dnsSuffix])
                    .apply(([queueArn, topicArn, topicKeyArn, region, dnsSuffix]) =>
                        stateMachinePolicy({ queueArn, topicArn, topicKeyArn, region, dnsSuffix }),
                    ),
                tags: args.tags,
                permissionsBoundary: args.permissionsBoundaryArn,
            },
            this,
        );
        this.role = role;

        // Under /aws/vendedlogs/ so that the log delivery's resource policy stays within its size limit.
        this.logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                namePrefix: `/aws/vendedlogs/states/${name}-`,
                retentionInDays: args.logRetentionDays,
                tags: args.tags,
            },
            { parent: this },
        );

        const definition = pulumi
            .all([args.partition, args.queueUrl, args.topicArn, args.taskTimeoutSeconds, args.heartbeatSeconds])
            .apply(([partition, queueUrl, topicArn, taskTimeoutSeconds, heartbeatSeconds]) =>
                JSON.stringify(buildCallbackDefinition({ partition, queueUrl, topicArn, taskTimeoutSeconds, heartbeatSeconds }), null, 2),
            );

        this.stateMachine = new aws.sfn.StateMachine(
            `${name}-state-machine`,
            {
                type: "STANDARD", // .waitForTaskToken is not available to Express workflows
                roleArn: this.role.arn,
                definition,
                loggingConfiguration: {
                    logDestination: pulumi.interpolate`${this.logGroup.arn}:*`,
                    level: args.logLevel,
                    includeExecutionData: args.includeExecutionData,
                },
                tracingConfiguration: { enabled: true },
                tags: args.tags,
            },
            // CreateStateMachine checks that the role may deliver logs: the policy must exist first.
            { parent: this, dependsOn: [rolePolicy] },
        );

        this.registerOutputs({
            stateMachineArn: this.stateMachine.arn,
            stateMachineName: this.stateMachine.name,
            logGroupName: this.logGroup.name,
        });
    }
}
