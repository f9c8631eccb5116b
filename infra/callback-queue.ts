import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Fourteen days, the longest SQS keeps a message: an operator has that long to look at a dead letter. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** Four days, SQS's default, for the task queue. Shorter than the dead-letter queue's on purpose:
 * a moved message keeps its original enqueue time, so a shorter DLQ retention would expire it early. */
export const TASK_QUEUE_RETENTION_SECONDS = 4 * 24 * 60 * 60;

export interface CallbackQueueArgs {
    /** Receives of a message before SQS moves it to the dead-letter queue. */
    maxReceiveCount: pulumi.Input<number>;
    /** How long a received message stays invisible; at least 6 × the consumer's timeout + batching window. */
    visibilityTimeoutSeconds: pulumi.Input<number>;
    /** Tags for both queues. */
    tags: pulumi.Input<Record<string, string>>;
}

/**
 * The queue the state machine sends task tokens to, and its dead-letter queue. Both are encrypted
 * with SQS-managed keys (SSE-SQS), which need no KMS grant for senders or consumers; the
 * dead-letter queue accepts messages from this queue only.
 */
export class CallbackQueue extends pulumi.ComponentResource {
    /** The task queue. */
    public readonly queue: aws.sqs.Queue;
    /** Where messages go after `maxReceiveCount` failed receives. */
    public readonly deadLetterQueue: aws.sqs.Queue;

    constructor(name: string, args: CallbackQueueArgs, opts?: pulumi.ComponentResourceOptions) {
        super("callback-pattern:sqs:CallbackQueue", name, {}, opts);

        this.deadLetterQueue = new aws.sqs.Queue(
            `${name}-dlq`,
            {
                sqsManagedSseEnabled: true,
                messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
                tags: args.tags,
            },
            { parent: this },
        );

        this.queue = new aws.sqs.Queue(
            `${name}-queue`,
            {
                sqsManagedSseEnabled: true,
                messageRetentionSeconds: TASK_QUEUE_RETENTION_SECONDS,
                visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
                redrivePolicy: pulumi.jsonStringify({
                    deadLetterTargetArn: this.deadLetterQueue.arn,
                    maxReceiveCount: args.maxReceiveCount,
                }),
                tags: args.tags,
            },
            { parent: this },
        );

        // A separate resource, since the queue's ARN is only known after the dead-letter queue exists.
        new aws.sqs.RedriveAllowPolicy(
            `${name}-dlq-redrive-allow`,
            {
                queueUrl: this.deadLetterQueue.url,
                redriveAllowPolicy: pulumi.jsonStringify({
                    redrivePermission: "byQueue",
                    sourceQueueArns: [this.queue.arn],
                }),
            },
            { parent: this },
        );

        this.registerOutputs({
            queueUrl: this.queue.url,
            queueArn: this.queue.arn,
            deadLetterQueueUrl: this.deadLetterQueue.url,
            deadLetterQueueArn: this.deadLetterQueue.arn,
        });
    }
}
