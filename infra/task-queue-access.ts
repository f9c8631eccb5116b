import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deadLetterQueuePolicy, taskQueuePolicy } from "./iam-documents";

export interface TaskQueueAccessArgs {
    /** URL of the task queue (queue policies are set by URL). */
    queueUrl: pulumi.Input<string>;
    /** ARN of the task queue. */
    queueArn: pulumi.Input<string>;
    /** URL of the dead-letter queue. */
    deadLetterQueueUrl: pulumi.Input<string>;
    /** ARN of the dead-letter queue. */
    deadLetterQueueArn: pulumi.Input<string>;
    /** The state machine's role: the only principal that may send tasks. */
    senderRoleArn: pulumi.Input<string>;
}

/**
 * Who may put messages on the queues: the state machine's role on the task queue, nobody on the
 * dead-letter queue (see `taskQueuePolicy` and `deadLetterQueuePolicy`). A component of its own,
 * because the sender's role is created with the state machine, after the queues it sends to.
 */
export class TaskQueueAccess extends pulumi.ComponentResource {
    /** The task queue's resource policy. */
    public readonly queuePolicy: aws.sqs.QueuePolicy;
    /** The dead-letter queue's resource policy. */
    public readonly deadLetterQueuePolicy: aws.sqs.QueuePolicy;

    constructor(name: string, args: TaskQueueAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("callback-pattern:sqs:TaskQueueAccess", name, {}, opts);

        this.queuePolicy = new aws.sqs.QueuePolicy(
            `${name}-queue-policy`,
            {
                queueUrl: args.queueUrl,
                policy: pulumi
                    .all([args.queueArn, args.senderRoleArn])
                    .apply(([queueArn, senderRoleArn]) => JSON.stringify(taskQueuePolicy({ queueArn, senderRoleArn }))),
            },
            { parent: this },
        );

        this.deadLetterQueuePolicy = new aws.sqs.QueuePolicy(
            `${name}-dlq-policy`,
            {
                queueUrl: args.deadLetterQueueUrl,
                policy: pulumi
                    .all([args.deadLetterQueueArn, args.queueArn])
                    .apply(([deadLetterQueueArn, queueArn]) => JSON.stringify(deadLetterQueuePolicy({ deadLetterQueueArn, queueArn }))),
            },
            { parent: this },
        );

        this.registerOutputs({});
    }
}
