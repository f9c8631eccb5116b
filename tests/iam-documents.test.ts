import { strict as assert } from "node:assert";
import {
    deadLetterQueuePolicy,
    functionPolicy,
    functionTrustPolicy,
    stateMachinePolicy,
    stateMachineTrustPolicy,
    taskQueuePolicy,
    type PolicyDocument,
} from "../infra/iam-documents";

const QUEUE = "arn:aws:sqs:eu-west-1:123456789012:tasks";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:notifications";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:workflow";
const LOGS = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/callback";
const DLQ = "arn:aws:sqs:eu-west-1:123456789012:dead-letters";
const MACHINE_ROLE = "arn:aws:iam::123456789012:role/callback-workflow-role-1a2b3c4";

/**
 * Whether a Deny statement of `document` refuses `action` on `resource` to a request with the given
 * condition keys: the part of IAM's evaluation that these resource policies use (ARN operators on
 * single-valued keys; a negated operator on a missing key matches, as in IAM).
 */
function denies(document: PolicyDocument, action: string, resource: string, keys: Record<string, string>): boolean {
    const arnMatches = (pattern: string, value: string) =>
        new RegExp(
            `^${pattern
                .split("*")
                .map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, "\\$&"))
                .join(".*")}$`,
        ).test(value);
    return document.Statement.some((statement) => {
        if (statement.Effect !== "Deny" || !statement.Action.includes(action) || !(statement.Resource ?? []).includes(resource))
            return false;
        return Object.entries(statement.Condition ?? {}).every(([operator, tests]) =>
            Object.entries(tests).every(([key, pattern]) => {
                const value = keys[key];
                switch (operator) {
                    case "ArnNotEquals":
                        return value === undefined || value !== pattern;
                    case "ArnEquals":
                        return value !== undefined && value === pattern;
                    case "ArnLike":
                        return value !== undefined && arnMatches(pattern, value);
                    case "Null":
                        return (value === undefined) === (pattern === "true");
                    default:
                        throw new Error(`operator ${operator} is not modelled here`);
                }
            }),
        );
    });
}

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
    it("the state machine role is trusted by Step Functions, only for state machines of this account and region", () => {
        assert.deepEqual(stateMachineTrustPolicy({ accountId: "123456789012", region: "eu-west-1", partition: "aws" }), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AssumedByService",
                    Effect: "Allow",
                    Principal: { Service: "states.amazonaws.com" },
                    Action: ["sts:AssumeRole"],
                    Condition: {
                        StringEquals: { "aws:SourceAccount": "123456789012" },
                        ArnLike: { "aws:SourceArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:*" },
                    },
                },
            ],
        });
        const china = stateMachineTrustPolicy({ accountId: "123456789012", region: "cn-north-1", partition: "aws-cn" });
        assert.deepEqual(china.Statement[0].Condition?.ArnLike, {
            "aws:SourceArn": "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:*",
        });
    });

    describe("queue policies", () => {
        const tasks = taskQueuePolicy({ queueArn: QUEUE, senderRoleArn: MACHINE_ROLE });
        const deadLetters = deadLetterQueuePolicy({ deadLetterQueueArn: DLQ, queueArn: QUEUE });

        it("the task queue refuses every sender but the state machine's role", () => {
            assert.equal(denies(tasks, "sqs:SendMessage", QUEUE, { "aws:PrincipalArn": MACHINE_ROLE }), false);
            // The example consumer's role, an administrator, another state machine's role, a service without a principal ARN.
            for (const principal of [
                "arn:aws:iam::123456789012:role/consumer-1a2b3c4",
                "arn:aws:iam::123456789012:role/Admin",
                "arn:aws:iam::123456789012:role/callback-workflow-role-9z9z9z9",
                "arn:aws:iam::123456789012:root",
            ]) {
                assert.equal(denies(tasks, "sqs:SendMessage", QUEUE, { "aws:PrincipalArn": principal }), true, principal);
            }
            assert.equal(denies(tasks, "sqs:SendMessage", QUEUE, {}), true, "a request without a principal ARN");
            // It is a Deny for everyone, so no identity policy anywhere in the account can open it.
            assert.deepEqual(
                tasks.Statement.map((st) => [st.Effect, st.Principal]),
                [["Deny", "*"]],
            );
        });

        it("the dead-letter queue refuses every sender; only the move from the task queue can reach it", () => {
            for (const principal of [MACHINE_ROLE, "arn:aws:iam::123456789012:role/Admin"]) {
                assert.equal(denies(deadLetters, "sqs:SendMessage", DLQ, { "aws:PrincipalArn": principal }), true, principal);
            }
            assert.equal(denies(deadLetters, "sqs:SendMessage", DLQ, { "aws:SourceArn": QUEUE }), false);
            assert.equal(
                denies(deadLetters, "sqs:SendMessage", DLQ, { "aws:SourceArn": "arn:aws:sqs:eu-west-1:123456789012:other" }),
                true,
            );
            // SQS's own move must never be refused (dead letters would be lost): were it made as a
            // service request, a service principal is not denied (and gets no Allow here either).
            assert.equal(denies(deadLetters, "sqs:SendMessage", DLQ, { "aws:PrincipalServiceName": "sqs.amazonaws.com" }), false);
        });

        it("the evaluation above can fail: a policy without the Deny refuses nothing", () => {
            const open: PolicyDocument = { Version: "2012-10-17", Statement: [] };
            assert.equal(denies(open, "sqs:SendMessage", QUEUE, { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/Admin" }), false);
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
            ConsumeQueue: [["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], [QUEUE]],
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
