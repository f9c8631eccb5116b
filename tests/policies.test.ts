import { strict as assert } from "node:assert";
import { functionPolicy, functionTrustPolicy, stateMachinePolicy, stateMachineTrustPolicy, type PolicyDocument } from "../infra/policies";

const QUEUE = "arn:aws:sqs:eu-west-1:123456789012:tasks";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:notifications";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:workflow";
const LOGS = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/callback";

/** Statement id → [actions, resources], for whole-policy comparisons. */
function summary(document: PolicyDocument): Record<string, [string[], string[] | undefined]> {
    return Object.fromEntries(document.Statement.map((s) => [s.Sid, [s.Action, s.Resource]]));
}

/** Fails on any `*` or `service:*` action, and on `*` resources outside `allowStar`. */
function assertLeastPrivilege(document: PolicyDocument, allowStar: string[]): void {
    for (const statement of document.Statement) {
        assert.equal(statement.Effect, "Allow");
        for (const action of statement.Action) {
            assert.doesNotMatch(action, /\*/, `${statement.Sid} grants wildcard action ${action}`);
            assert.match(action, /^[a-z0-9-]+:[A-Za-z]+$/);
        }
        const star = (statement.Resource ?? []).includes("*");
        assert.equal(star, allowStar.includes(statement.Sid), `${statement.Sid}: "*" resource ${star ? "not expected" : "expected"}`);
    }
}

describe("IAM policy documents", () => {
    it("the state machine role is trusted by Step Functions for this account only", () => {
        assert.deepEqual(stateMachineTrustPolicy("123456789012"), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AssumedByService",
                    Effect: "Allow",
                    Principal: { Service: "states.amazonaws.com" },
                    Action: ["sts:AssumeRole"],
                    Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
                },
            ],
        });
    });

    it("the function role is trusted by Lambda only", () => {
        assert.deepEqual(functionTrustPolicy(), {
            Version: "2012-10-17",
            Statement: [
                { Sid: "AssumedByService", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: ["sts:AssumeRole"] },
            ],
        });
    });

    it("the state machine may send to its queue, publish to its topic, use the topic's key through SNS, log and trace", () => {
        const policy = stateMachinePolicy({
            queueArn: QUEUE,
            topicArn: TOPIC,
            topicKeyArn: KEY,
            region: "eu-west-1",
            dnsSuffix: "amazonaws.com",
        });
        assert.deepEqual(summary(policy), {
            SendTaskToken: [["sqs:SendMessage"], [QUEUE]],
            PublishNotification: [["sns:Publish"], [TOPIC]],
            EncryptNotification: [["kms:GenerateDataKey", "kms:Decrypt"], [KEY]],
            DeliverLogs: [
                [
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                ["*"],
            ],
            WriteTraces: [["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"], ["*"]],
        });
        const kms = policy.Statement.find((s) => s.Sid === "EncryptNotification");
        assert.deepEqual(kms?.Condition, { StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com" } });
        assertLeastPrivilege(policy, ["DeliverLogs", "WriteTraces"]);
    });

    it("names SNS by the partition's DNS suffix in the KMS condition", () => {
        const policy = stateMachinePolicy({
            queueArn: QUEUE,
            topicArn: TOPIC,
            topicKeyArn: KEY,
            region: "cn-north-1",
            dnsSuffix: "amazonaws.com.cn",
        });
        const kms = policy.Statement.find((s) => s.Sid === "EncryptNotification");
        assert.deepEqual(kms?.Condition, { StringEquals: { "kms:ViaService": "sns.cn-north-1.amazonaws.com.cn" } });
    });

    it("the function may consume its queue, answer its state machine's tokens and write its own logs", () => {
        const policy = functionPolicy({ queueArn: QUEUE, stateMachineArn: MACHINE, logGroupArn: LOGS });
        assert.deepEqual(summary(policy), {
            ConsumeQueue: [["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], [QUEUE]],
            ReturnTaskToken: [["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"], [MACHINE]],
            WriteOwnLogs: [["logs:CreateLogStream", "logs:PutLogEvents"], [`${LOGS}:*`]],
        });
        assertLeastPrivilege(policy, []);
    });

    it("the least-privilege check itself rejects wildcards", () => {
        const loose: PolicyDocument = {
            Version: "2012-10-17",
            Statement: [{ Sid: "Loose", Effect: "Allow", Action: ["sqs:*"], Resource: [QUEUE] }],
        };
        assert.throws(() => assertLeastPrivilege(loose, []), /wildcard action sqs:\*/);
        const anywhere: PolicyDocument = {
            Version: "2012-10-17",
            Statement: [{ Sid: "Anywhere", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: ["*"] }],
        };
        assert.throws(() => assertLeastPrivilege(anywhere, []), /"\*" resource not expected/);
    });
});
