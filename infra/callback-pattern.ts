import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CallbackAlarms } from "./callback-alarms";
import { CallbackQueue } from "./callback-queue";
import { CallbackStateMachine } from "./callback-state-machine";
import { queueVisibilityTimeoutSeconds } from "./config";
import type { FunctionArtifact } from "./function-artifact";
import { NotificationTopic } from "./notification-topic";
import type { SettingInputs } from "./setting-inputs";
import type { StackOutputs } from "./stack-outputs";
import { TaskQueueAccess } from "./task-queue-access";
import { TaskTokenFunction } from "./task-token-function";

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

/** The component's type token: part of the URN of every resource of the stack. */
export const CALLBACK_PATTERN_TYPE = "callback-pattern:index:CallbackPattern";

/**
 * The whole callback pattern: queue and dead-letter queue, notification topic, state machine, and
 * the callback function subscribed to the queue. Every child is auto-named with a random suffix, so
 * any number of stacks live side by side in one account and region.
 */
export class CallbackPattern extends pulumi.ComponentResource {
    /**
     * The stack's outputs, one for each name in `STACK_OUTPUTS` (infra/stack-outputs.ts, which
     * says what each holds). The deadlines (`taskTimeoutSeconds`, `heartbeatSeconds`) are secrets
     * when their settings are.
     */
    public readonly outputs: StackOutputs;

    constructor(name: string, args: CallbackPatternArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CALLBACK_PATTERN_TYPE, name, {}, opts);
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

        const callback = new TaskTokenFunction(
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

        this.outputs = {
            stateMachineArn: workflow.stateMachine.arn,
            stateMachineName: workflow.stateMachine.name,
            stateMachineLogGroupName: workflow.logGroup.name,
            queueUrl: queue.queue.url,
            queueArn: queue.queue.arn,
            deadLetterQueueUrl: queue.deadLetterQueue.url,
            deadLetterQueueArn: queue.deadLetterQueue.arn,
            topicArn: topic.topic.arn,
            callbackFunctionName: callback.function.name,
            callbackFunctionArn: callback.function.arn,
            callbackFunctionLogGroupName: callback.logGroup.name,
            operationsTopicArn: alarms.topic.arn,
            // pulumi.output keeps a secret setting secret; no heartbeat is 0, which tells nothing of a secret.
            taskTimeoutSeconds: pulumi.output(args.taskTimeoutSeconds),
            heartbeatSeconds: args.heartbeatSeconds === undefined ? pulumi.output(0) : pulumi.output(args.heartbeatSeconds),
        };
        this.registerOutputs(this.outputs);
    }
}
