import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmSpecs, maxMessageAgeSeconds } from "./alarm-definitions";
import { operationsKeyPolicy } from "./iam-documents";

export interface CallbackAlarmsArgs {
    /** The stack's name: alarm names start with it, so that an operator knows whose alarm fired. */
    stackName: string;
    /** AWS partition of the stack. */
    partition: pulumi.Input<string>;
    /** Account of the stack: the key policy names it. */
    accountId: pulumi.Input<string>;
    /** Name of the dead-letter queue. */
    deadLetterQueueName: pulumi.Input<string>;
    /** Name of the task queue. */
    queueName: pulumi.Input<string>;
    /** ARN of the state machine. */
    stateMachineArn: pulumi.Input<string>;
    /** Name of the callback function. */
    functionName: pulumi.Input<string>;
    /** The wait task's TimeoutSeconds. */
    taskTimeoutSeconds: pulumi.Input<number>;
    /** Optional address subscribed to the operations topic. */
    alarmEmail?: pulumi.Input<string>;
    /** Tags for the key, topic and alarms. */
    tags: pulumi.Input<Record<string, string>>;
}

/**
 * The stack's CloudWatch alarms and the operations topic they notify. The topic is encrypted with
 * a customer managed key (rotation on) whose key policy admits CloudWatch: alarms cannot publish to
 * a topic encrypted with the AWS managed SNS key.
 */
export class CallbackAlarms extends pulumi.ComponentResource {
    /** The operations topic the alarms notify. */
    public readonly topic: aws.sns.Topic;
    /** The key that encrypts it. */
    public readonly key: aws.kms.Key;
    /** The alarms, by id (see `alarms.ts`). */
    public readonly alarms: Record<string, aws.cloudwatch.MetricAlarm>;

    constructor(name: string, args: CallbackAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("callback-pattern:cloudwatch:CallbackAlarms", name, {}, opts);

        this.key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the operations topic of callback-pattern stack ${args.stackName}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: pulumi
                    .all([args.accountId, args.partition])
                    .apply(([accountId, partition]) => JSON.stringify(operationsKeyPolicy(accountId, partition))),
                tags: args.tags,
            },
            { parent: this },
        );

        this.topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: this.key.arn, tags: args.tags }, { parent: this });

        if (args.alarmEmail !== undefined) {
            new aws.sns.TopicSubscription(
                `${name}-email`,
                { topic: this.topic.arn, protocol: "email", endpoint: args.alarmEmail },
                { parent: this },
            );
        }

        this.alarms = {};
        const specs = alarmSpecs<pulumi.Input<string>, pulumi.Input<number>>({
            deadLetterQueueName: args.deadLetterQueueName,
            queueName: args.queueName,
            stateMachineArn: args.stateMachineArn,
            functionName: args.functionName,
            maxMessageAgeSeconds: pulumi.output(args.taskTimeoutSeconds).apply(maxMessageAgeSeconds),
        });
        for (const spec of specs) {
            this.alarms[spec.id] = new aws.cloudwatch.MetricAlarm(
                `${name}-${args.stackName}-${spec.id}`,
                {
                    alarmDescription: `${spec.description} (callback-pattern stack ${args.stackName})`,
                    namespace: spec.namespace,
                    metricName: spec.metricName,
                    dimensions: spec.dimensions,
                    statistic: spec.statistic,
                    period: spec.periodSeconds,
                    evaluationPeriods: 1,
                    threshold: spec.threshold,
                    comparisonOperator: "GreaterThanOrEqualToThreshold",
                    // No data means nothing happened: no message, no execution, no invocation.
                    treatMissingData: "notBreaching",
                    alarmActions: [this.topic.arn],
                    okActions: [this.topic.arn],
                    tags: args.tags,
                },
                { parent: this },
            );
        }

        this.registerOutputs({ topicArn: this.topic.arn, keyArn: this.key.arn });
    }
}
