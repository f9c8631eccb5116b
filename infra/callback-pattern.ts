import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CallbackAlarms } from "./callback-alarms";
import { CallbackFunction } from "./callback-function";
import { CallbackQueue } from "./callback-queue";
import { CallbackStateMachine } from "./callback-state-machine";
import { queueVisibilityTimeoutSeconds } from "./config";
import type { FunctionArtifact } from "./function-artifact";
import { NotificationTopic } from "./notification-topic";
import type { SettingInputs } from "./setting-inputs";
import { TaskQueueAccess } from "./task-queue-access";

/**
 * The stack's settings (see `infra/config.ts`), each a plain value or a Pulumi input: a setting
 * given as a secret stays one in every resource built from it.
 */
export interface CallbackPatternArgs extends SettingInputs {
    /** The stack's name: alarm names start with it. */
    stackName: string;
    /** The callback function's package; built from `functions/callback` when omitted. */
    functionArtifact?: FunctionArtifact;
}

/**
 * The whole callback pattern: queue and dead-letter queue, notification topic, state machine, and
 * the callback function subscribed to the queue. Every child is auto-named with a random suffix, so
 * any number of stacks live side by side in one account and region.
 */
export class CallbackPattern extends pulumi.ComponentResource {
    /** ARN of the state machine; start executions with it. */
    public readonly stateMachineArn: pulumi.Output<string>;
    /** Name of the state machine. */
    public readonly stateMachineName: pulumi.Output<string>;
    /** CloudWatch log group of the state machine. */
    public readonly stateMachineLogGroupName: pulumi.Output<string>;
    /** URL of the queue that receives task tokens. */
    public readonly queueUrl: pulumi.Output<string>;
    /** ARN of the queue that receives task tokens. */
    public readonly queueArn: pulumi.Output<string>;
    /** URL of the dead-letter queue. */
    public readonly deadLetterQueueUrl: pulumi.Output<string>;
    /** ARN of the dead-letter queue. */
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    /** ARN of the notification topic. */
    public readonly topicArn: pulumi.Output<string>;
    /** Name of the callback Lambda function. */
    public readonly callbackFunctionName: pulumi.Output<string>;
    /** ARN of the callback Lambda function. */
    public readonly callbackFunctionArn: pulumi.Output<string>;
    /** CloudWatch log group of the callback function. */
    public readonly callbackFunctionLogGroupName: pulumi.Output<string>;
    /** ARN of the operations topic that the alarms notify. */
    public readonly operationsTopicArn: pulumi.Output<string>;
    /**
     * The wait task's `TimeoutSeconds`: how long an external process has, from the task's start,
     * to return its token. A secret when `taskTimeoutSeconds` was set as one.
     */
    public readonly taskTimeoutSeconds: pulumi.Output<number>;
    /**
     * The wait task's `HeartbeatSeconds`: the longest an external process may go without an answer
     * or a `SendTaskHeartbeat`; 0 when no heartbeat is configured. A secret when
     * `heartbeatSeconds` was set as one.
     */
    public readonly heartbeatSeconds: pulumi.Output<number>;

    constructor(name: string, args: CallbackPatternArgs, opts?: pulumi.ComponentResourceOptions) {
        super("callback-pattern:index:CallbackPattern", name, {}, opts);
        const parent = { parent: this };

        const { partition, dnsSuffix } = aws.getPartitionOutput({}, parent);
        const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
        const region = aws.getRegionOutput({}, parent).region;

        const queue = new CallbackQueue(
            `${name}-tasks`,
            {
                maxReceiveCount: args.maxReceiveCount,
                visibilityTimeoutSeconds: pulumi
                    .all([args.functionTimeoutSeconds, args.maxBatchingWindowSeconds])
                    .apply(([functionTimeoutSeconds, maxBatchingWindowSeconds]) =>
                        queueVisibilityTimeoutSeconds({ functionTimeoutSeconds, maxBatchingWindowSeconds }),
                    ),
                tags: args.tags,
            },
            parent,
        );

        const topic = new NotificationTopic(
            `${name}-notifications`,
            { notificationEmail: args.notificationEmail, tags: args.tags },
            parent,
        );

        const workflow = new CallbackStateMachine(
            `${name}-workflow`,
            {
                partition,
                dnsSuffix,
                accountId,
                region,
                queueUrl: queue.queue.url,
                queueArn: queue.queue.arn,
                topicArn: topic.topic.arn,
                topicKeyArn: topic.keyArn,
                taskTimeoutSeconds: args.taskTimeoutSeconds,
                heartbeatSeconds: args.heartbeatSeconds,
                logLevel: args.logLevel,
                includeExecutionData: args.includeExecutionData,
                logRetentionDays: args.logRetentionDays,
                tags: args.tags,
                permissionsBoundaryArn: args.permissionsBoundaryArn,
            },
            parent,
        );

        new TaskQueueAccess(
            `${name}-tasks-access`,
            {
                queueUrl: queue.queue.url,
                queueArn: queue.queue.arn,
                deadLetterQueueUrl: queue.deadLetterQueue.url,
                deadLetterQueueArn: queue.deadLetterQueue.arn,
                senderRoleArn: workflow.role.arn,
            },
            parent,
        );

        const callback = new CallbackFunction(
            `${name}-callback`,
            {
                queueArn: queue.queue.arn,
                stateMachineArn: workflow.stateMachine.arn,
                timeoutSeconds: args.functionTimeoutSeconds,
                heartbeatSeconds: args.heartbeatSeconds,
                memoryMb: args.functionMemoryMb,
                batchSize: args.batchSize,
                maxBatchingWindowSeconds: args.maxBatchingWindowSeconds,
                logRetentionDays: args.logRetentionDays,
                artifact: args.functionArtifact,
                tags: args.tags,
                permissionsBoundaryArn: args.permissionsBoundaryArn,
            },
            parent,
        );

        const alarms = new CallbackAlarms(
            `${name}-alarms`,
            {
                stackName: args.stackName,
                partition,
                accountId,
                deadLetterQueueName: queue.deadLetterQueue.name,
                queueName: queue.queue.name,
                stateMachineArn: workflow.stateMachine.arn,
                functionName: callback.function.name,
                taskTimeoutSeconds: args.taskTimeoutSeconds,
                alarmEmail: args.alarmEmail,
                tags: args.tags,
            },
            parent,
        );

        this.stateMachineArn = workflow.stateMachine.arn;
        this.stateMachineName = workflow.stateMachine.name;
        this.stateMachineLogGroupName = workflow.logGroup.name;
        this.queueUrl = queue.queue.url;
        this.queueArn = queue.queue.arn;
        this.deadLetterQueueUrl = queue.deadLetterQueue.url;
        this.deadLetterQueueArn = queue.deadLetterQueue.arn;
        this.topicArn = topic.topic.arn;
        this.callbackFunctionName = callback.function.name;
        this.callbackFunctionArn = callback.function.arn;
        this.callbackFunctionLogGroupName = callback.logGroup.name;
        this.operationsTopicArn = alarms.topic.arn;
        // pulumi.output keeps a secret setting secret.
        this.taskTimeoutSeconds = pulumi.output(args.taskTimeoutSeconds);
        this.heartbeatSeconds = args.heartbeatSeconds === undefined ? pulumi.output(0) : pulumi.output(args.heartbeatSeconds);

        this.registerOutputs({
            stateMachineArn: this.stateMachineArn,
            stateMachineName: this.stateMachineName,
            stateMachineLogGroupName: this.stateMachineLogGroupName,
            queueUrl: this.queueUrl,
            queueArn: this.queueArn,
            deadLetterQueueUrl: this.deadLetterQueueUrl,
            deadLetterQueueArn: this.deadLetterQueueArn,
            topicArn: this.topicArn,
            callbackFunctionName: this.callbackFunctionName,
            callbackFunctionArn: this.callbackFunctionArn,
            callbackFunctionLogGroupName: this.callbackFunctionLogGroupName,
            operationsTopicArn: this.operationsTopicArn,
            taskTimeoutSeconds: this.taskTimeoutSeconds,
            heartbeatSeconds: this.heartbeatSeconds,
        });
    }
}
