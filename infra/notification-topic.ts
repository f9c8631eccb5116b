import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The AWS managed key of SNS. It costs nothing and needs no key policy; publishers need
 * `kms:GenerateDataKey` and `kms:Decrypt` on it. (AWS services such as CloudWatch alarms cannot
 * publish to a topic encrypted with it: that would need a customer managed key.)
 */
export const SNS_MANAGED_KEY_ALIAS = "alias/aws/sns";

export interface NotificationTopicArgs {
    /** Optional address to subscribe; AWS mails it a confirmation link before it receives anything. */
    notificationEmail?: pulumi.Input<string>;
    /** Tags for the topic. */
    tags: pulumi.Input<Record<string, string>>;
}

/** The SNS topic that "Notify Success" and "Notify Failure" publish to, encrypted with KMS. */
export class NotificationTopic extends pulumi.ComponentResource {
    /** The topic. */
    public readonly topic: aws.sns.Topic;
    /** ARN of the KMS key that encrypts the topic (what publishers must be allowed to use). */
    public readonly keyArn: pulumi.Output<string>;
    /** The email subscription, when an address was given. */
    public readonly emailSubscription?: aws.sns.TopicSubscription;

    constructor(name: string, args: NotificationTopicArgs, opts?: pulumi.ComponentResourceOptions) {
        super("callback-pattern:sns:NotificationTopic", name, {}, opts);

        this.topic = new aws.sns.Topic(`${name}-topic`, { kmsMasterKeyId: SNS_MANAGED_KEY_ALIAS, tags: args.tags }, { parent: this });

        // IAM statements must name the key's ARN: an alias ARN does not match the key it points to.
        // DescribeKey resolves the alias to its key (getAlias would list the account's aliases and
        // fail where alias/aws/sns has never been used); for an AWS managed key that does not exist
        // yet, AWS's DescribeKey reference says KMS creates it. The statement stays although the
        // managed key's own policy admits principals of the account through SNS: an identity policy
        // that names the key keeps the role working should that key policy ever be narrower.
        this.keyArn = aws.kms.getKeyOutput({ keyId: SNS_MANAGED_KEY_ALIAS }, { parent: this }).arn;

        if (args.notificationEmail !== undefined) {
            this.emailSubscription = new aws.sns.TopicSubscription(
                `${name}-email`,
                { topic: this.topic.arn, protocol: "email", endpoint: args.notificationEmail },
                { parent: this },
            );
        }

        this.registerOutputs({ topicArn: this.topic.arn, keyArn: this.keyArn });
    }
}
