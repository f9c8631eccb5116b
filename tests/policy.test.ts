/** The policy pack: every rule with a passing and a violating resource, unknown values, and the stack's own resources. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { buildCallbackDefinition } from "../infra/definition";
import {
    deadLetterQueuePolicy,
    functionPolicy,
    functionTrustPolicy,
    operationsKeyPolicy,
    stateMachinePolicy,
    stateMachineTrustPolicy,
    taskQueuePolicy as buildTaskQueuePolicy,
} from "../infra/iam-documents";
import { policies } from "../policy/pack";
import { taskStates, TYPES } from "../policy/rules";
import { runProgram } from "./mocks";

// The policy engine's own proxy and unknown markers, to hand the policies what a preview hands them.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal module of @pulumi/policy (no typings)
const engine = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(value: T): T; unknownStringValue: string };
const UNKNOWN = engine.unknownStringValue;

/** Runs one resource policy of the pack on a resource, its properties wrapped as the engine wraps them. */
function violationsOf(policyName: string, type: string, props: Record<string, unknown>, config: object = {}, name = "r"): string[] {
    const policy = policies.find((p) => p.name === policyName) as ResourceValidationPolicy | undefined;
    assert.ok(policy?.validateResource, `no resource policy ${policyName}`);
    const found: string[] = [];
    const validate = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    const args = { type, props: engine.unknownCheckingProxy(props), urn: `urn:${type}::${name}`, name, getConfig: () => config } as never;
    for (const fn of validate) void fn(args, (message: string) => found.push(message));
    return found;
}

/** A resource as a stack policy gets it; `deps` names, per property, the resources its value came from. */
interface StackResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    deps?: Record<string, string[]>;
}

/** Runs one stack policy of the pack on resources; returns its violations. */
function stackViolationsOf(policyName: string, resources: StackResource[], config: object = {}): string[] {
    const policy = policies.find((p) => p.name === policyName) as StackValidationPolicy | undefined;
    assert.ok(policy?.validateStack, `no stack policy ${policyName}`);
    const found: string[] = [];
    const policyResources = resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: `urn:${r.name}`,
        props: engine.unknownCheckingProxy(r.props),
        propertyDependencies: Object.fromEntries(
            Object.entries(r.deps ?? {}).map(([key, names]) => [key, names.map((n) => ({ urn: `urn:${n}` }))]),
        ),
    }));
    void policy.validateStack({ resources: policyResources, getConfig: () => config } as never, (message: string) => found.push(message));
    return found;
}

const QUEUE = "arn:aws:sqs:eu-west-1:123456789012:tasks";
const DLQ = "arn:aws:sqs:eu-west-1:123456789012:dead-letters";
const FN = "arn:aws:lambda:eu-west-1:123456789012:function:callback";
const definition = (timeout?: number) => {
    const d = buildCallbackDefinition({
        partition: "aws",
        queueUrl: "https://q",
        topicArn: "arn:aws:sns:eu-west-1:1:t",
        taskTimeoutSeconds: 300,
    });
    const wait = d.States["Start Task And Wait For Callback"];
    if (timeout === undefined) delete wait.TimeoutSeconds;
    else wait.TimeoutSeconds = timeout;
    return JSON.stringify(d);
};
/** A definition whose only callback task sits inside a Parallel branch or a Map processor. */
const nested = (kind: "Parallel" | "Map", timeout?: number) => {
    const inner = {
        StartAt: "Wait",
        States: {
            Wait: {
                Type: "Task",
                Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                ...(timeout ? { TimeoutSeconds: timeout } : {}),
                End: true,
            },
        },
    };
    const outer =
        kind === "Parallel" ? { Type: "Parallel", Branches: [inner], End: true } : { Type: "Map", ItemProcessor: inner, End: true };
    return JSON.stringify({ StartAt: "Outer", States: { Outer: outer } });
};
/** A policy document as a JSON string, as the stack registers it. */
const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allow = (Action: unknown, Resource: unknown = QUEUE, extra: Record<string, unknown> = {}) => ({
    Effect: "Allow",
    Action,
    Resource,
    ...extra,
});
const deny = (Action: unknown, Resource: unknown = "*", extra: Record<string, unknown> = {}) => ({
    Effect: "Deny",
    Action,
    Resource,
    ...extra,
});
const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-workflow";
const ACCOUNT = "123456789012";
/** A trust statement for Step Functions, with the given conditions. */
const trustStatement = (Condition: Record<string, unknown>) => ({
    Sid: "AssumedByService",
    Effect: "Allow",
    Principal: { Service: "states.amazonaws.com" },
    Action: ["sts:AssumeRole"],
    ...(Object.keys(Condition).length > 0 ? { Condition } : {}),
});
/** The state machine role's trust policy as the stack registers it. */
const stateMachineTrust = JSON.stringify(stateMachineTrustPolicy({ accountId: ACCOUNT, region: "eu-west-1", partition: "aws" }));
/** The task queue's and the dead-letter queue's policies as the stack registers them: Deny only. */
const STATE_MACHINE_ROLE = "arn:aws:iam::123456789012:role/callback-workflow-role-1a2b3c4";
const taskQueuePolicy = JSON.stringify(buildTaskQueuePolicy({ queueArn: QUEUE, senderRoleArn: STATE_MACHINE_ROLE }));
const deadLetterQueuePolicies = [
    doc({ Sid: "NoOneSends", Effect: "Deny", Principal: "*", Action: "sqs:SendMessage", Resource: DLQ }),
    JSON.stringify(deadLetterQueuePolicy({ deadLetterQueueArn: DLQ, queueArn: QUEUE })),
];
const observable = {
    loggingConfiguration: { level: "ERROR", logDestination: "arn:aws:logs:x:1:log-group:g:*" },
    tracingConfiguration: { enabled: true },
};

const queue = (name: string, props: Record<string, unknown>, deps?: Record<string, string[]>): StackResource => ({
    type: TYPES.queue,
    name,
    props,
    deps,
});
const fn: StackResource = { type: TYPES.function, name: "callback", props: { arn: FN, timeout: 10 } };
const mapping = (props: Record<string, unknown>, deps?: Record<string, string[]>): StackResource => ({
    type: TYPES.eventSourceMapping,
    name: "trigger",
    props,
    deps,
});

describe("policy pack", () => {
    it("holds every rule the stack promises, all mandatory by default", () => {
        assert.deepEqual(policies.map((p: Policy) => p.name).sort(), [
            "iam-no-external-managed-policies",
            "iam-no-wildcard-actions",
            "iam-no-wildcard-resources",
            "iam-sensitive-actions-scoped",
            "iam-trust-confused-deputy",
            "iam-trust-single-service",
            "lambda-log-retention",
            "lambda-supported-nodejs-runtime",
            "resource-policy-not-public",
            "sfn-callback-standard",
            "sfn-callback-timeout",
            "sfn-logging-and-tracing",
            "sfn-no-task-tokens-in-logs",
            "sns-topic-kms-encrypted",
            "sqs-event-source-reports-batch-item-failures",
            "sqs-queue-encrypted",
            "sqs-queue-redrive",
            "sqs-redrive-allow-restricted",
            "sqs-task-queue-send-guarded",
            "sqs-visibility-timeout-covers-function",
        ]);
        for (const policy of policies) assert.equal(policy.enforcementLevel, "mandatory", policy.name);
    });

    it("the example configuration names only the pack's rules and valid levels", () => {
        const config = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy", "config.example.json"), "utf8")) as Record<
            string,
            unknown
        >;
        const names = new Set(policies.map((p) => p.name));
        for (const [rule, value] of Object.entries(config)) {
            assert.ok(names.has(rule), `${rule} is not a rule of the pack`);
            const level = typeof value === "string" ? value : (value as { enforcementLevel?: string }).enforcementLevel;
            if (level !== undefined) assert.ok(["advisory", "mandatory", "disabled", "remediate"].includes(level), `${rule}: ${level}`);
            // Every setting is one the rule's schema declares.
            const declared = Object.keys(policies.find((p) => p.name === rule)?.configSchema?.properties ?? {});
            const settings = typeof value === "string" ? [] : Object.keys(value as object).filter((key) => key !== "enforcementLevel");
            for (const setting of settings) assert.ok(declared.includes(setting), `${rule}: ${setting} is not one of its settings`);
        }
    });

    const cases: [string, string, Record<string, unknown>, Record<string, unknown>, RegExp][] = [
        ["sqs-queue-encrypted", TYPES.queue, { sqsManagedSseEnabled: true }, { sqsManagedSseEnabled: false }, /not encrypted/],
        ["sqs-queue-encrypted", TYPES.queue, { kmsMasterKeyId: "alias/app" }, {}, /not encrypted/],
        ["sns-topic-kms-encrypted", TYPES.topic, { kmsMasterKeyId: "alias/aws/sns" }, {}, /topic is not encrypted/],
        [
            "lambda-supported-nodejs-runtime",
            TYPES.function,
            { runtime: "nodejs22.x" },
            { runtime: "nodejs16.x" },
            /"nodejs16\.x" is not one of the supported Node\.js runtimes nodejs22\.x, nodejs24\.x/,
        ],
        [
            "sfn-logging-and-tracing",
            TYPES.stateMachine,
            observable,
            { ...observable, loggingConfiguration: { level: "OFF" } },
            /^stateMachine "r": logging is off/,
        ],
        [
            "sfn-logging-and-tracing",
            TYPES.stateMachine,
            observable,
            { ...observable, tracingConfiguration: { enabled: false } },
            /^stateMachine "r": X-Ray tracing is off/,
        ],
        [
            "sfn-logging-and-tracing",
            TYPES.stateMachine,
            observable,
            { ...observable, loggingConfiguration: { level: "ALL" } },
            /^stateMachine "r": logging at level ALL has no logDestination/,
        ],
        [
            "sfn-no-task-tokens-in-logs",
            TYPES.stateMachine,
            { ...observable, loggingConfiguration: { ...observable.loggingConfiguration, level: "ALL", includeExecutionData: false } },
            { ...observable, loggingConfiguration: { ...observable.loggingConfiguration, level: "ALL", includeExecutionData: true } },
            /^stateMachine "r": logging at level ALL with includeExecutionData: true writes every task token to the log group, .*; fix: set includeExecutionData: false, or level ERROR or FATAL$/,
        ],
        [
            "sfn-no-task-tokens-in-logs",
            TYPES.stateMachine,
            { ...observable, loggingConfiguration: { ...observable.loggingConfiguration, level: "ERROR", includeExecutionData: true } },
            { ...observable, loggingConfiguration: { level: "ALL", includeExecutionData: true, logDestination: UNKNOWN } },
            /logging at level ALL with includeExecutionData: true/,
        ],
        [
            "sfn-callback-standard",
            TYPES.stateMachine,
            { definition: definition(300) },
            { definition: definition(300), type: "EXPRESS" },
            /must be STANDARD, not EXPRESS/,
        ],
        [
            "sfn-callback-timeout",
            TYPES.stateMachine,
            { definition: definition(300) },
            { definition: definition() },
            /waits for a callback without TimeoutSeconds/,
        ],
        [
            "sfn-callback-timeout",
            TYPES.stateMachine,
            { definition: definition(31_535_999) },
            { definition: definition(31_536_000) },
            /TimeoutSeconds 31536000; it must be below 31536000/,
        ],
        [
            "sfn-callback-timeout",
            TYPES.stateMachine,
            { definition: nested("Parallel", 60) },
            { definition: nested("Parallel") },
            /task "Wait" waits for a callback without TimeoutSeconds/,
        ],
        [
            "sfn-callback-timeout",
            TYPES.stateMachine,
            { definition: nested("Map", 60) },
            { definition: nested("Map") },
            /task "Wait" waits for a callback without TimeoutSeconds/,
        ],
        [
            "sfn-callback-standard",
            TYPES.stateMachine,
            { definition: nested("Map", 60) },
            { definition: nested("Map", 60), type: "EXPRESS" },
            /must be STANDARD/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.rolePolicy,
            {
                policy: JSON.stringify(
                    functionPolicy({
                        queueArn: QUEUE,
                        stateMachineArn: "arn:aws:states:x:1:stateMachine:m",
                        logGroupArn: "arn:aws:logs:x:1:log-group:g",
                    }),
                ),
            },
            {
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Sid: "Loose", Effect: "Allow", Action: ["sqs:*"], Resource: [QUEUE] }],
                }),
            },
            /^rolePolicy "r": statement "Loose" grants sqs:\*, a wildcard action/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.role,
            {
                inlinePolicies: [
                    {
                        name: "p",
                        policy: JSON.stringify(
                            stateMachinePolicy({
                                queueArn: QUEUE,
                                topicArn: "t",
                                topicKeyArn: "k",
                                region: "r",
                                dnsSuffix: "amazonaws.com",
                            }),
                        ),
                    },
                ],
            },
            {
                inlinePolicies: [
                    { name: "p", policy: JSON.stringify({ Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] }) },
                ],
            },
            /statement #1 uses NotAction/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.policy,
            { policy: { Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] } },
            { policy: { Statement: [{ Effect: "Allow", Action: "*" }] } },
            /statement #1 grants \*, a wildcard action .*; fix: name each action/,
        ],
        // A Deny never grants: wildcards, NotAction and NotResource are what a Deny should use.
        [
            "iam-no-wildcard-actions",
            TYPES.rolePolicy,
            {
                policy: doc(deny("*"), deny("sqs:*", QUEUE, { Sid: "NoOtherQueue" }), {
                    Effect: "Deny",
                    NotAction: "sqs:*",
                    NotResource: QUEUE,
                }),
            },
            { policy: doc(deny("*"), allow("sqs:*")) },
            /^rolePolicy "r": statement #2 grants sqs:\*/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.rolePolicy,
            { policy: doc(allow(["states:SendTaskSuccess", "states:SendTaskFailure"], MACHINE, { Sid: "Answer" })) },
            { policy: doc(allow(["states:Send*"], MACHINE, { Sid: "Answer" })) },
            /^rolePolicy "r": statement "Answer" grants states:Send\*, a wildcard action .*; fix: name each action$/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.role,
            { inlinePolicies: [{ name: "p", policy: doc(allow("iam:PassRole", "arn:aws:iam::123456789012:role/worker")) }] },
            { inlinePolicies: [{ name: "p", policy: doc(allow("iam:Pass*", "arn:aws:iam::123456789012:role/worker")) }] },
            /^role "r": statement #1 grants iam:Pass\*/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.userPolicy,
            { policy: doc(allow("iam:PassRole")) },
            { policy: doc(allow("iam:Pass?ole")) },
            /grants iam:Pass\?ole, a wildcard action/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.groupPolicy,
            { policy: doc(allow("sqs:SendMessage", [QUEUE])) },
            { policy: doc({ Sid: "AllButDlq", Effect: "Allow", Action: "sqs:SendMessage", NotResource: [DLQ] }) },
            /^groupPolicy "r": statement "AllButDlq" uses NotResource, .*; fix: list the resources in Resource$/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.role,
            { managedPolicyArns: [] },
            { managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
            /AWS managed policy arn:aws:iam::aws:policy\/AdministratorAccess is attached/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.rolePolicyAttachment,
            { policyArn: "arn:aws:iam::123456789012:policy/mine" },
            { policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" },
            /PowerUserAccess is attached/,
        ],
        [
            "iam-no-wildcard-actions",
            TYPES.rolePolicyAttachmentsExclusive,
            { roleName: "r", policyArns: ["arn:aws:iam::123456789012:policy/mine"] },
            { roleName: "r", policyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] },
            /^rolePolicyAttachmentsExclusive "r": the AWS managed policy arn:aws:iam::aws:policy\/AdministratorAccess is attached/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.rolePolicy,
            {
                policy: JSON.stringify(
                    functionPolicy({ queueArn: QUEUE, stateMachineArn: MACHINE, logGroupArn: "arn:aws:logs:x:1:log-group:g" }),
                ),
            },
            {
                policy: JSON.stringify(
                    functionPolicy({ queueArn: QUEUE, stateMachineArn: "*", logGroupArn: "arn:aws:logs:x:1:log-group:g" }),
                ),
            },
            /^rolePolicy "r": statement "ReturnTaskToken" grants states:SendTaskSuccess, states:SendTaskFailure, states:SendTaskHeartbeat on "\*": whoever holds it could answer the task tokens of any workflow; fix: set Resource to the ARNs it needs, each with a literal region, account, resource type and name prefix$/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.policy,
            { policy: doc(allow("STATES:sendtasksuccess", MACHINE)) },
            { policy: doc(allow("STATES:sendtasksuccess", "*")) },
            /^policy "r": statement #1 grants states:SendTaskSuccess on "\*"/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.rolePolicy,
            { policy: doc(allow("states:Send*", "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-*")) },
            { policy: doc(allow("states:Send*", "arn:aws:states:*:*:*")) },
            /states:SendTaskSuccess \(through states:Send\*\), .* on "arn:aws:states:\*:\*:\*"/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.role,
            { inlinePolicies: [{ name: "p", policy: doc(allow("iam:PassRole", "arn:aws:iam::123456789012:role/service-role/worker")) }] },
            { inlinePolicies: [{ name: "p", policy: doc(allow("iam:PassRole", "*")) }] },
            /^role "r": statement #1 grants iam:PassRole on "\*": whoever holds it could hand any role of the account to a service/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.userPolicy,
            { policy: doc(allow("iam:Pass*", "arn:aws:iam::123456789012:role/service-role/*")) },
            { policy: doc(allow("iam:Pass*", "arn:aws:iam::123456789012:role/*")) },
            /grants iam:PassRole \(through iam:Pass\*\) on "arn:aws:iam::123456789012:role\/\*"/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.groupPolicy,
            { policy: doc(allow("sts:AssumeRole", ["arn:aws:iam::123456789012:role/reader"])) },
            { policy: doc(allow("sts:AssumeRole", ["arn:aws:iam::123456789012:role/reader", "*"])) },
            /grants sts:AssumeRole on "\*": whoever holds it could assume any role that trusts the account/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.rolePolicy,
            // A Deny on "*" only takes away; NotAction that excludes the sensitive actions grants none of them.
            { policy: doc(deny("states:*"), deny("*"), { Effect: "Allow", NotAction: ["states:*", "iam:*", "sts:*"], Resource: "*" }) },
            { policy: doc({ Effect: "Allow", NotAction: ["s3:*"], Resource: "*" }) },
            /grants states:SendTaskSuccess \(through NotAction\), .*iam:PassRole \(through NotAction\), sts:AssumeRole \(through NotAction\) on "\*"/,
        ],
        [
            "iam-sensitive-actions-scoped",
            TYPES.rolePolicy,
            { policy: doc(allow("sts:AssumeRole", "arn:aws:iam::123456789012:role/reader")) },
            {
                policy: doc({
                    Sid: "AllButAdmin",
                    Effect: "Allow",
                    Action: "sts:AssumeRole",
                    NotResource: "arn:aws:iam::123456789012:role/admin",
                }),
            },
            /statement "AllButAdmin" grants sts:AssumeRole on NotResource/,
        ],
        [
            "iam-trust-single-service",
            TYPES.role,
            { assumeRolePolicy: JSON.stringify(functionTrustPolicy()) },
            {
                assumeRolePolicy: JSON.stringify({
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: ["lambda.amazonaws.com", "states.amazonaws.com"] },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            },
            /^role "r": statement #1 names \["lambda\.amazonaws\.com","states\.amazonaws\.com"\]; the trust policy must name exactly one service principal; fix: /,
        ],
        [
            "iam-trust-single-service",
            TYPES.role,
            {
                assumeRolePolicy: {
                    Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }],
                },
            },
            {
                assumeRolePolicy: {
                    Statement: [
                        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
                        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
                    ],
                },
            },
            /^role "r": statement #1, statement #2 name \["lambda\.amazonaws\.com","ec2\.amazonaws\.com"\]; the trust policy must name exactly one service principal/,
        ],
        [
            "iam-trust-single-service",
            TYPES.role,
            { assumeRolePolicy: JSON.stringify(functionTrustPolicy()) },
            { assumeRolePolicy: { Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] } },
            /^role "r": statement #1 names \{"AWS":"\*"\}, not a service; fix: /,
        ],
        [
            "iam-trust-confused-deputy",
            TYPES.role,
            { assumeRolePolicy: stateMachineTrust },
            { assumeRolePolicy: doc(trustStatement({})) },
            /^role "r": statement "AssumedByService" lets states\.amazonaws\.com assume the role without a condition on aws:SourceAccount and aws:SourceArn, so a resource of any account could use it; fix: add "StringEquals": \{"aws:SourceAccount": …\} and "ArnLike": \{"aws:SourceArn": …\}/,
        ],
        [
            "iam-trust-confused-deputy",
            TYPES.role,
            // Any restricting operator will do; keys are case-insensitive; a Deny statement needs none.
            {
                assumeRolePolicy: doc(
                    trustStatement({ StringLike: { "AWS:SourceAccount": "123456789012" }, ArnEquals: { "aws:sourcearn": MACHINE } }),
                    { Effect: "Deny", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" },
                ),
            },
            // The stack's trust policy before issue 8: aws:SourceAccount alone.
            { assumeRolePolicy: doc(trustStatement({ StringEquals: { "aws:SourceAccount": ACCOUNT } })) },
            /statement "AssumedByService" lets states\.amazonaws\.com assume the role without a condition on aws:SourceArn,/,
        ],
        [
            "iam-trust-confused-deputy",
            TYPES.role,
            {
                assumeRolePolicy: doc(
                    trustStatement({ StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": MACHINE } }),
                ),
            },
            // A negated operator, an ...IfExists one, or a value of any account restrict nothing.
            {
                assumeRolePolicy: doc(
                    trustStatement({
                        StringNotEquals: { "aws:SourceAccount": "999999999999" },
                        ArnLikeIfExists: { "aws:SourceArn": MACHINE },
                    }),
                    trustStatement({
                        StringEquals: { "aws:SourceAccount": ACCOUNT },
                        ArnLike: { "aws:SourceArn": "arn:aws:states:*:*:*" },
                    }),
                ),
            },
            /without a condition on aws:SourceAccount and aws:SourceArn,.*\n.*without a condition on aws:SourceArn,/,
        ],
        [
            "resource-policy-not-public",
            TYPES.queuePolicy,
            // The task queue's policy as the stack registers it: a Deny to "*" takes away, it never grants.
            { policy: taskQueuePolicy },
            { policy: doc({ Sid: "AnyoneSends", Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: QUEUE }) },
            /^queuePolicy "r": statement "AnyoneSends" allows Principal "\*" without a condition that narrows it to an account, organization or source; fix: name the principals/,
        ],
        [
            "resource-policy-not-public",
            TYPES.queue,
            {
                policy: doc(
                    allow("sqs:SendMessage", QUEUE, {
                        Principal: "*",
                        Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:t" } },
                    }),
                ),
            },
            // A negated operator narrows nothing: it admits every account but one.
            {
                policy: doc(
                    allow("sqs:SendMessage", QUEUE, {
                        Principal: { AWS: "*" },
                        Condition: { StringNotEquals: { "aws:SourceAccount": "123456789012" } },
                    }),
                ),
            },
            /^queue "r": statement #1 allows Principal \{"AWS":"\*"\} without a condition/,
        ],
        [
            "resource-policy-not-public",
            TYPES.topic,
            {
                policy: doc(allow("sns:Publish", "*", { Principal: { AWS: "arn:aws:iam::123456789012:root" } })),
                kmsMasterKeyId: "alias/aws/sns",
            },
            {
                policy: doc(allow("sns:Publish", "*", { Principal: { AWS: ["arn:aws:iam::123456789012:root", "*"] } })),
                kmsMasterKeyId: "alias/aws/sns",
            },
            /^topic "r": statement #1 allows Principal \{"AWS":\["arn:aws:iam::123456789012:root","\*"\]\}/,
        ],
        [
            "resource-policy-not-public",
            TYPES.topicPolicy,
            {
                policy: {
                    Statement: [
                        allow("sns:Subscribe", "*", { Principal: "*", Condition: { StringEquals: { "AWS:SourceOwner": "123456789012" } } }),
                    ],
                },
            },
            // A wildcard value, or a key outside the list (an address range), narrows nothing either.
            {
                policy: {
                    Statement: [
                        allow("sns:Subscribe", "*", { Principal: "*", Condition: { StringLike: { "aws:SourceOwner": "*" } } }),
                        allow("sns:Subscribe", "*", { Principal: "*", Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } }),
                    ],
                },
            },
            /statement #1 allows Principal "\*".*\n.*statement #2 allows Principal "\*"/,
        ],
        [
            "resource-policy-not-public",
            TYPES.key,
            { policy: JSON.stringify(operationsKeyPolicy("123456789012", "aws")) },
            { policy: doc(allow("kms:Decrypt", "*", { Sid: "Anyone", Principal: { AWS: "*" } })) },
            /^key "r": statement "Anyone" allows Principal/,
        ],
        [
            "resource-policy-not-public",
            TYPES.key,
            {
                policy: doc(
                    allow("kms:Decrypt", "*", {
                        Principal: { AWS: "*" },
                        Condition: { StringEquals: { "kms:CallerAccount": "123456789012" } },
                    }),
                ),
            },
            { policy: doc(allow("kms:Decrypt", "*", { NotPrincipal: { AWS: "arn:aws:iam::999999999999:root" } })) },
            /allows NotPrincipal \{"AWS":"arn:aws:iam::999999999999:root"\} \(everyone it does not name\)/,
        ],
        [
            "resource-policy-not-public",
            TYPES.permission,
            {
                action: "lambda:InvokeFunction",
                function: FN,
                principal: "sns.amazonaws.com",
                sourceArn: "arn:aws:sns:eu-west-1:123456789012:t",
            },
            { action: "lambda:InvokeFunction", function: FN, principal: "*" },
            /^permission "r": principal is "\*" without sourceArn, sourceAccount, principalOrgId that pins an account or organization: any AWS account may use it; fix:/,
        ],
        [
            "resource-policy-not-public",
            TYPES.permission,
            { action: "lambda:InvokeFunctionUrl", function: FN, principal: "123456789012", functionUrlAuthType: "AWS_IAM" },
            {
                action: "lambda:InvokeFunctionUrl",
                function: FN,
                principal: "*",
                sourceAccount: "123456789012",
                functionUrlAuthType: "NONE",
            },
            /^permission "r": functionUrlAuthType is NONE: anyone on the internet can invoke the function URL; fix: use "AWS_IAM"$/,
        ],
        [
            "resource-policy-not-public",
            TYPES.functionUrl,
            { functionName: FN, authorizationType: "AWS_IAM" },
            { functionName: FN, authorizationType: "NONE" },
            /^functionUrl "r": authorizationType is NONE: anyone on the internet can invoke the function; fix: set authorizationType: "AWS_IAM"$/,
        ],
    ];
    cases.forEach(([policy, type, passing, violating, message], i) => {
        it(`${policy} (${i + 1}): passes a compliant ${type.split(":").pop()}, reports a violating one`, () => {
            assert.deepEqual(violationsOf(policy, type, passing), []);
            const found = violationsOf(policy, type, violating);
            assert.equal(found.length >= 1, true, `no violation for ${JSON.stringify(violating)}`);
            assert.match(found.join("\n"), message);
            // Each names the resource first and ends with the fix.
            for (const violation of found) assert.match(violation, /^[a-zA-Z]+ "r": .*; fix: [^;]+$/);
        });
    });

    it("names the resource, the statement and the fix in every resource violation", () => {
        assert.deepEqual(
            violationsOf(
                "iam-no-wildcard-actions",
                TYPES.role,
                { inlinePolicies: [{ name: "p", policy: doc(allow("states:Send*", MACHINE, { Sid: "SendTaskToken" })) }] },
                {},
                "callback-workflow-role",
            ),
            [
                'role "callback-workflow-role": statement "SendTaskToken" grants states:Send*, a wildcard action (any action it matches, today\'s and future ones); fix: name each action',
            ],
        );
    });

    describe("the shapes the stack is about to register pass the whole pack", () => {
        /** Every violation of every resource policy of the pack on one resource. */
        const allViolations = (type: string, props: Record<string, unknown>) =>
            policies.filter((p) => "validateResource" in p).flatMap((p) => violationsOf(p.name, type, props));

        it("queue policies that deny sending to everyone but the state machine role, or to everyone", () => {
            for (const policy of [taskQueuePolicy, ...deadLetterQueuePolicies]) {
                assert.deepEqual(allViolations(TYPES.queuePolicy, { queueUrl: "https://q", policy }), []);
            }
        });

        it("a definition with a Choice state, Fail states and a top-level TimeoutSeconds", () => {
            const d = JSON.parse(definition(300)) as {
                StartAt: string;
                TimeoutSeconds?: number;
                States: Record<string, Record<string, unknown>>;
            };
            d.TimeoutSeconds = 3600;
            d.States["Check Input"] = {
                Type: "Choice",
                Choices: [{ Variable: "$.ok", BooleanEquals: false, Next: "Bad Input" }],
                Default: d.StartAt,
            };
            d.States["Bad Input"] = { Type: "Fail", Error: "BadInput", Cause: "the input is not valid" };
            d.States["Gave Up"] = { Type: "Fail", Error: "GaveUp" };
            d.StartAt = "Check Input";
            const props = { ...observable, type: "STANDARD", definition: JSON.stringify(d) };
            assert.deepEqual(allViolations(TYPES.stateMachine, props), []);
            // Choice and Fail states are no tasks: the Task states found are the original definition's, still checked.
            const names = (value: object) => taskStates(value as Record<string, unknown>).map((t) => t.name);
            assert.deepEqual(names(d), names(JSON.parse(definition(300)) as object));
            delete d.States["Start Task And Wait For Callback"].TimeoutSeconds;
            assert.match(
                allViolations(TYPES.stateMachine, { ...props, definition: JSON.stringify(d) }).join("\n"),
                /without TimeoutSeconds/,
            );
        });

        it("a state machine role trusted with aws:SourceAccount and aws:SourceArn, and the function role", () => {
            const inline = (policy: object) => [{ name: "p", policy: JSON.stringify(policy) }];
            assert.deepEqual(allViolations(TYPES.role, { assumeRolePolicy: stateMachineTrust }), []);
            assert.deepEqual(allViolations(TYPES.role, { assumeRolePolicy: JSON.stringify(functionTrustPolicy()) }), []);
            const machinePolicy = stateMachinePolicy({
                queueArn: QUEUE,
                topicArn: "t",
                topicKeyArn: "k",
                region: "r",
                dnsSuffix: "amazonaws.com",
            });
            const fnPolicy = functionPolicy({ queueArn: QUEUE, stateMachineArn: MACHINE, logGroupArn: "arn:aws:logs:x:1:log-group:g" });
            for (const policy of [machinePolicy, fnPolicy]) {
                assert.deepEqual(allViolations(TYPES.rolePolicy, { role: "x", policy: JSON.stringify(policy) }), []);
                assert.deepEqual(allViolations(TYPES.role, { inlinePolicies: inline(policy) }), []);
            }
        });
    });

    it("applies each resource rule to its own types only", () => {
        assert.deepEqual(violationsOf("sqs-queue-encrypted", TYPES.topic, {}), []);
    });

    it("takes the accepted runtimes and the allowed managed policies from the pack's configuration", () => {
        assert.deepEqual(
            violationsOf("lambda-supported-nodejs-runtime", TYPES.function, { runtime: "nodejs24.x" }, { nodejsRuntimes: ["nodejs24.x"] }),
            [],
        );
        assert.equal(
            violationsOf("lambda-supported-nodejs-runtime", TYPES.function, { runtime: "nodejs22.x" }, { nodejsRuntimes: ["nodejs24.x"] })
                .length,
            1,
        );
        // Lambda's trust needs no condition by default; a configuration may require some of any service.
        const lambdaTrust = { assumeRolePolicy: JSON.stringify(functionTrustPolicy()) };
        assert.deepEqual(violationsOf("iam-trust-confused-deputy", TYPES.role, lambdaTrust), []);
        assert.match(
            violationsOf("iam-trust-confused-deputy", TYPES.role, lambdaTrust, {
                trustConditionKeys: { "lambda.amazonaws.com": ["aws:SourceAccount"] },
            }).join("\n"),
            /lets lambda\.amazonaws\.com assume the role without a condition on aws:SourceAccount/,
        );
        const xray = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
        assert.deepEqual(
            violationsOf("iam-no-wildcard-actions", TYPES.role, { managedPolicyArns: [xray] }, { allowedManagedPolicyArns: [xray] }),
            [],
        );
    });

    describe("stack rules", () => {
        it("sqs-queue-redrive: a queue has a dead-letter queue or is one", () => {
            const tasks = queue("tasks", { arn: QUEUE, redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ, maxReceiveCount: 5 }) });
            const dlq = queue("dlq", { arn: DLQ });
            assert.deepEqual(stackViolationsOf("sqs-queue-redrive", [tasks, dlq]), []);
            assert.deepEqual(stackViolationsOf("sqs-queue-redrive", [dlq, queue("lonely", { arn: `${QUEUE}-2` })]), [
                'queue "dlq": has no redrive policy and is no other queue\'s dead-letter queue; fix: set redrivePolicy with a deadLetterTargetArn and maxReceiveCount',
                'queue "lonely": has no redrive policy and is no other queue\'s dead-letter queue; fix: set redrivePolicy with a deadLetterTargetArn and maxReceiveCount',
            ]);
        });

        it("sqs-event-source-reports-batch-item-failures: SQS mappings only", () => {
            assert.deepEqual(
                stackViolationsOf("sqs-event-source-reports-batch-item-failures", [
                    mapping({ eventSourceArn: QUEUE, functionResponseTypes: ["ReportBatchItemFailures"] }),
                ]),
                [],
            );
            assert.deepEqual(stackViolationsOf("sqs-event-source-reports-batch-item-failures", [mapping({ eventSourceArn: QUEUE })]), [
                'eventSourceMapping "trigger": does not report batch item failures, so one failed record returns its whole batch; fix: set functionResponseTypes: ["ReportBatchItemFailures"]',
            ]);
            // A Kafka mapping has no event source ARN; a Kinesis one is not SQS.
            assert.deepEqual(
                stackViolationsOf("sqs-event-source-reports-batch-item-failures", [
                    mapping({ topics: ["t"] }),
                    mapping({ eventSourceArn: "arn:aws:kinesis:x:1:stream/s" }),
                ]),
                [],
            );
        });

        it("sqs-visibility-timeout-covers-function: 6 × the function timeout + the batching window", () => {
            const resources = (visibility: number): StackResource[] => [
                queue("tasks", { arn: QUEUE, visibilityTimeoutSeconds: visibility }),
                fn,
                mapping({ eventSourceArn: QUEUE, functionName: FN, maximumBatchingWindowInSeconds: 5 }),
            ];
            assert.deepEqual(stackViolationsOf("sqs-visibility-timeout-covers-function", resources(65)), []);
            assert.deepEqual(stackViolationsOf("sqs-visibility-timeout-covers-function", resources(64)), [
                'queue "tasks": a visibility timeout of 64 s; feeding function "callback" (timeout 10 s, batching window 5 s) it needs at least 65 s; fix: set visibilityTimeoutSeconds to at least 65',
            ]);
        });

        it("lambda-log-retention: the function's log group is in the stack and has a retention", () => {
            const withGroup: StackResource = {
                type: TYPES.function,
                name: "callback",
                props: { name: "cb-123", loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/cb" } },
            };
            const group = (days?: number): StackResource => ({
                type: TYPES.logGroup,
                name: "logs",
                props: { name: "/aws/lambda/cb", ...(days ? { retentionInDays: days } : {}) },
            });
            assert.deepEqual(stackViolationsOf("lambda-log-retention", [withGroup, group(30)]), []);
            assert.deepEqual(stackViolationsOf("lambda-log-retention", [withGroup, group()]), [
                'logGroup "logs": keeps the logs of function "callback" forever; fix: set retentionInDays',
            ]);
            assert.match(
                stackViolationsOf("lambda-log-retention", [{ ...withGroup, props: { name: "cb-123" } }, group(30)])[0],
                /^function "callback": logs to \/aws\/lambda\/cb-123 that this stack does not create .*; fix: create an aws\.cloudwatch\.LogGroup/,
            );
        });
    });

    describe("iam-no-external-managed-policies", () => {
        const OWN = "arn:aws:iam::123456789012:policy/callback-extra";
        const EXTERNAL = "arn:aws:iam::123456789012:policy/ops-admin";
        const ownPolicy = (arn: unknown = OWN): StackResource => ({
            type: TYPES.policy,
            name: "extra",
            props: { arn, policy: doc(allow("sqs:SendMessage")) },
        });
        const attachment = (type: string, props: Record<string, unknown>, deps?: Record<string, string[]>): StackResource => ({
            type,
            name: "attach",
            props,
            deps,
        });
        const rule = "iam-no-external-managed-policies";

        it("passes policies of the stack (by ARN) and AWS managed ones (iam-no-wildcard-actions allows those)", () => {
            assert.deepEqual(
                stackViolationsOf(rule, [
                    ownPolicy(),
                    attachment(TYPES.rolePolicyAttachment, { role: "r", policyArn: OWN }),
                    attachment(TYPES.role, { managedPolicyArns: [OWN, "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"] }),
                ]),
                [],
            );
        });

        it("reports a customer managed policy attached from outside the stack, by any means of attaching", () => {
            assert.deepEqual(
                stackViolationsOf(rule, [ownPolicy(), attachment(TYPES.rolePolicyAttachment, { role: "r", policyArn: EXTERNAL })]),
                [
                    `rolePolicyAttachment "attach": attaches ${EXTERNAL}, a customer managed policy this stack does not create, so no rule checks its statements; fix: define the policy in the stack (aws.iam.Policy), or list its ARN in allowedCustomerManagedPolicyArns`,
                ],
            );
            for (const [type, props] of [
                [TYPES.policyAttachment, { roles: ["r"], policyArn: EXTERNAL }],
                [TYPES.role, { managedPolicyArns: [OWN, EXTERNAL] }],
                [TYPES.rolePolicyAttachmentsExclusive, { roleName: "r", policyArns: [EXTERNAL] }],
                [TYPES.userPolicyAttachment, { user: "u", policyArn: EXTERNAL }],
                [TYPES.groupPolicyAttachmentsExclusive, { groupName: "g", policyArns: [EXTERNAL] }],
            ] as const) {
                const found = stackViolationsOf(rule, [ownPolicy(), attachment(type, props)]);
                assert.equal(found.length, 1, type);
                assert.match(found[0], new RegExp(`attaches ${EXTERNAL}, a customer managed policy this stack does not create`));
            }
        });

        it("takes an allow-list from the pack's configuration", () => {
            const resources = [attachment(TYPES.rolePolicyAttachment, { role: "r", policyArn: EXTERNAL })];
            assert.deepEqual(stackViolationsOf(rule, resources, { allowedCustomerManagedPolicyArns: [EXTERNAL] }), []);
            assert.equal(stackViolationsOf(rule, resources, { allowedCustomerManagedPolicyArns: [OWN] }).length, 1);
        });

        it("during a preview, never fails on an unknown ARN, and finds a new policy of the stack by its name", () => {
            assert.deepEqual(
                stackViolationsOf(rule, [
                    ownPolicy(UNKNOWN),
                    { type: TYPES.policy, name: "named", props: { arn: UNKNOWN, name: "callback-named", path: "/app/" } },
                    attachment(TYPES.rolePolicyAttachment, { role: "r", policyArn: "arn:aws:iam::123456789012:policy/app/callback-named" }),
                    attachment(TYPES.rolePolicyAttachment, { role: "r", policyArn: UNKNOWN }, { policyArn: ["extra"] }),
                    attachment(TYPES.role, { managedPolicyArns: UNKNOWN }),
                    attachment(TYPES.role, { managedPolicyArns: [UNKNOWN] }),
                ]),
                [],
            );
            // What is known is still checked: an external ARN beside an unknown one, a name under another path.
            assert.equal(
                stackViolationsOf(rule, [ownPolicy(UNKNOWN), attachment(TYPES.role, { managedPolicyArns: [UNKNOWN, EXTERNAL] })]).length,
                1,
            );
            assert.equal(
                stackViolationsOf(rule, [
                    { type: TYPES.policy, name: "named", props: { arn: UNKNOWN, name: "callback-named" } },
                    attachment(TYPES.rolePolicyAttachment, {
                        role: "r",
                        policyArn: "arn:aws:iam::123456789012:policy/other/callback-named",
                    }),
                ]).length,
                1,
            );
        });
    });

    describe("during a preview, with values not known yet", () => {
        it("resource rules neither fail nor report on unknown values, and still check what is known", () => {
            assert.deepEqual(violationsOf("sns-topic-kms-encrypted", TYPES.topic, { kmsMasterKeyId: UNKNOWN }), []);
            assert.deepEqual(violationsOf("sfn-callback-timeout", TYPES.stateMachine, { definition: UNKNOWN }), []);
            assert.deepEqual(
                violationsOf("sfn-logging-and-tracing", TYPES.stateMachine, {
                    ...observable,
                    loggingConfiguration: { level: "ERROR", logDestination: UNKNOWN },
                }),
                [],
            );
            assert.deepEqual(violationsOf("iam-no-wildcard-actions", TYPES.rolePolicy, { policy: UNKNOWN }), []);
            for (const [rule, type, props] of [
                ["iam-sensitive-actions-scoped", TYPES.rolePolicy, { policy: UNKNOWN }],
                ["iam-sensitive-actions-scoped", TYPES.role, { inlinePolicies: [{ name: "p", policy: UNKNOWN }] }],
                [
                    "iam-sensitive-actions-scoped",
                    TYPES.policy,
                    { policy: { Statement: [allow("iam:PassRole", UNKNOWN), allow("sts:AssumeRole", [UNKNOWN])] } },
                ],
                ["iam-sensitive-actions-scoped", TYPES.policy, { policy: { Statement: [allow(UNKNOWN, "*")] } }],
                ["iam-no-wildcard-actions", TYPES.policy, { policy: { Statement: [allow(UNKNOWN, UNKNOWN)] } }],
                [
                    "iam-sensitive-actions-scoped",
                    TYPES.policy,
                    { policy: { Statement: [{ Effect: "Allow", NotAction: ["s3:*", UNKNOWN], Resource: "*" }] } },
                ],
                ["resource-policy-not-public", TYPES.queuePolicy, { policy: UNKNOWN }],
                [
                    "resource-policy-not-public",
                    TYPES.key,
                    { policy: { Statement: [allow("kms:Decrypt", "*", { Principal: { AWS: UNKNOWN } })] } },
                ],
                [
                    "resource-policy-not-public",
                    TYPES.topicPolicy,
                    {
                        policy: {
                            Statement: [
                                allow("sns:Publish", "*", { Principal: "*", Condition: { ArnEquals: { "aws:SourceArn": UNKNOWN } } }),
                            ],
                        },
                    },
                ],
                ["resource-policy-not-public", TYPES.permission, { principal: UNKNOWN, functionUrlAuthType: UNKNOWN }],
                ["resource-policy-not-public", TYPES.permission, { principal: "*", sourceArn: UNKNOWN }],
                ["resource-policy-not-public", TYPES.functionUrl, { authorizationType: UNKNOWN }],
            ] as const) {
                assert.deepEqual(violationsOf(rule, type, props), [], `${rule} ${JSON.stringify(props)}`);
            }
            assert.deepEqual(violationsOf("iam-trust-confused-deputy", TYPES.role, { assumeRolePolicy: UNKNOWN }), []);
            assert.deepEqual(
                violationsOf("sfn-no-task-tokens-in-logs", TYPES.stateMachine, {
                    loggingConfiguration: { level: "ALL", includeExecutionData: UNKNOWN, logDestination: UNKNOWN },
                }),
                [],
            );
            // An object-form trust policy whose account and ARN are not known yet.
            assert.deepEqual(
                violationsOf("iam-trust-confused-deputy", TYPES.role, {
                    assumeRolePolicy: {
                        Statement: [
                            trustStatement({ StringEquals: { "aws:SourceAccount": UNKNOWN }, ArnLike: { "aws:SourceArn": UNKNOWN } }),
                        ],
                    },
                }),
                [],
            );
            assert.equal(
                violationsOf("sfn-logging-and-tracing", TYPES.stateMachine, {
                    loggingConfiguration: { level: "ERROR", logDestination: UNKNOWN },
                    tracingConfiguration: { enabled: false },
                }).length,
                1,
            );
        });

        it("stack rules find queues, functions and log groups through property dependencies", () => {
            // A new stack: every ARN and name is unknown; only the dependencies tell what refers to what.
            const tasks = queue(
                "tasks",
                { arn: UNKNOWN, redrivePolicy: UNKNOWN, visibilityTimeoutSeconds: 60 },
                { redrivePolicy: ["dlq"] },
            );
            const dlq = queue("dlq", { arn: UNKNOWN });
            const fnNew: StackResource = {
                type: TYPES.function,
                name: "callback",
                props: { arn: UNKNOWN, timeout: 10, loggingConfig: { logFormat: "JSON", logGroup: UNKNOWN } },
                deps: { loggingConfig: ["logs"] },
            };
            const logs: StackResource = { type: TYPES.logGroup, name: "logs", props: { name: UNKNOWN, retentionInDays: 30 } };
            const trigger = (props: Record<string, unknown>) =>
                mapping(
                    { eventSourceArn: UNKNOWN, functionName: UNKNOWN, ...props },
                    { eventSourceArn: ["tasks"], functionName: ["callback"] },
                );
            const good = [tasks, dlq, fnNew, logs, trigger({ functionResponseTypes: ["ReportBatchItemFailures"] })];
            for (const rule of [
                "sqs-queue-redrive",
                "sqs-event-source-reports-batch-item-failures",
                "sqs-visibility-timeout-covers-function",
                "lambda-log-retention",
            ]) {
                assert.deepEqual(stackViolationsOf(rule, good), [], rule);
            }
            assert.equal(
                stackViolationsOf("sqs-event-source-reports-batch-item-failures", [tasks, dlq, fnNew, logs, trigger({})]).length,
                1,
            );
            assert.match(
                stackViolationsOf("sqs-visibility-timeout-covers-function", [
                    { ...tasks, props: { ...tasks.props, visibilityTimeoutSeconds: 30 } },
                    dlq,
                    fnNew,
                    logs,
                    trigger({}),
                ])[0],
                /needs at least 60 s/,
            );
            assert.equal(stackViolationsOf("lambda-log-retention", [tasks, dlq, fnNew, { ...logs, props: { name: UNKNOWN } }]).length, 1);
            assert.deepEqual(stackViolationsOf("sqs-queue-redrive", [dlq, queue("lonely", { arn: UNKNOWN })]).length, 2);
        });
    });

    describe("the stack's own resources, as registered under the mocks", () => {
        let registered: StackResource[] = [];
        before(async () => {
            const { recorder } = await runProgram({
                notificationEmail: "ops@example.com",
                alarmEmail: "oncall@example.com",
                heartbeatSeconds: "120",
                batchSize: "20",
                maxBatchingWindowSeconds: "5",
                tags: JSON.stringify({ team: "platform" }),
                permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/deploy-boundary",
            });
            registered = recorder.resources
                .filter((r) => r.type.startsWith("aws:"))
                .map((r) => ({ type: r.type, name: r.name, props: r.state }));
        });

        /** Every violation of the whole pack on these resources, each prefixed with its policy (and resource). */
        function wholePack(resources: StackResource[]): string[] {
            const violations: string[] = [];
            for (const policy of policies) {
                if ("validateResource" in policy && policy.validateResource) {
                    for (const r of resources)
                        violations.push(
                            ...violationsOf(policy.name, r.type, r.props, {}, r.name).map((v) => `${policy.name} on ${r.name}: ${v}`),
                        );
                } else {
                    violations.push(...stackViolationsOf(policy.name, resources).map((v) => `${policy.name}: ${v}`));
                }
            }
            return violations;
        }

        it("pass the whole pack", () => {
            assert.deepEqual(wholePack(registered), []);
            // The stack rules did look at the stack's resources: they found the mapping, queue and function.
            const trigger = registered.find((r) => r.type === TYPES.eventSourceMapping)!;
            const tooShort = registered.map((r) =>
                r.type === TYPES.queue && r.props.arn === trigger.props.eventSourceArn
                    ? { ...r, props: { ...r.props, visibilityTimeoutSeconds: 1 } }
                    : r,
            );
            assert.equal(stackViolationsOf("sqs-visibility-timeout-covers-function", tooShort).length, 1);
        });

        // Issue 8, section 5: the registered resources weakened one at a time; each weakening is a
        // violation that names the resource, the statement and the fix.
        type Statements = Record<string, unknown>[];
        /** The resources with one resource's JSON policy property edited. */
        const withPolicy = (name: string, key: string, edit: (statements: Statements) => Statements) =>
            registered.map((r) => {
                if (r.name !== name) return r;
                const policy = JSON.parse(String(r.props[key])) as { Statement: Statements };
                return { ...r, props: { ...r.props, [key]: JSON.stringify({ ...policy, Statement: edit(policy.Statement) }) } };
            });
        /** Edits the statement with this Sid. */
        const statement = (sid: string, edit: (s: Record<string, unknown>) => Record<string, unknown>) => (statements: Statements) =>
            statements.map((s) => (s.Sid === sid ? edit(s) : s));
        const added = (...resources: StackResource[]) => [...registered, ...resources];
        const ROLE_ARN = "arn:aws:iam::123456789012:role/worker";

        const weakenings: [string, () => StackResource[], RegExp][] = [
            [
                'states:SendTask* on "*"',
                () =>
                    withPolicy(
                        "callback-callback-policy",
                        "policy",
                        statement("ReturnTaskToken", (s) => ({ ...s, Resource: ["*"] })),
                    ),
                /^iam-sensitive-actions-scoped on callback-callback-policy: rolePolicy "callback-callback-policy": statement "ReturnTaskToken" grants states:SendTaskSuccess, states:SendTaskFailure, states:SendTaskHeartbeat on "\*".*; fix: /,
            ],
            [
                "a partial wildcard: states:Send*",
                () =>
                    withPolicy(
                        "callback-callback-policy",
                        "policy",
                        statement("ReturnTaskToken", (s) => ({ ...s, Action: ["states:Send*"] })),
                    ),
                /^iam-no-wildcard-actions on callback-callback-policy: rolePolicy "callback-callback-policy": statement "ReturnTaskToken" grants states:Send\*, a wildcard action .*; fix: name each action$/,
            ],
            [
                "a partial wildcard: iam:Pass*",
                () =>
                    withPolicy("callback-workflow-policy", "policy", (all) => [
                        ...all,
                        allow("iam:Pass*", ROLE_ARN, { Sid: "PassWorker" }),
                    ]),
                /^iam-no-wildcard-actions on callback-workflow-policy: rolePolicy "callback-workflow-policy": statement "PassWorker" grants iam:Pass\*/,
            ],
            [
                "NotResource",
                () =>
                    withPolicy(
                        "callback-callback-policy",
                        "policy",
                        statement("ConsumeQueue", ({ Resource, ...s }) => ({ ...s, NotResource: Resource })),
                    ),
                /^iam-no-wildcard-actions on callback-callback-policy: .*statement "ConsumeQueue" uses NotResource, .*; fix: list the resources in Resource$/,
            ],
            [
                'iam:PassRole on "*"',
                () => withPolicy("callback-workflow-policy", "policy", (all) => [...all, allow("iam:PassRole", "*", { Sid: "PassAny" })]),
                /^iam-sensitive-actions-scoped on callback-workflow-policy: .*statement "PassAny" grants iam:PassRole on "\*"/,
            ],
            [
                'sts:AssumeRole on "*"',
                () => withPolicy("callback-callback-policy", "policy", (all) => [...all, allow("sts:AssumeRole", "*")]),
                /^iam-sensitive-actions-scoped on callback-callback-policy: .*statement #4 grants sts:AssumeRole on "\*"/,
            ],
            [
                "a customer managed policy attached from outside the stack",
                () =>
                    added({
                        type: TYPES.rolePolicyAttachment,
                        name: "callback-extra",
                        props: { role: "callback-callback-role", policyArn: "arn:aws:iam::123456789012:policy/ops-admin" },
                    }),
                /^iam-no-external-managed-policies: rolePolicyAttachment "callback-extra": attaches arn:aws:iam::123456789012:policy\/ops-admin, .*; fix: /,
            ],
            [
                'the queue\'s policy open to "*"',
                () =>
                    registered.map((r) =>
                        r.name === "callback-tasks-queue"
                            ? { ...r, props: { ...r.props, policy: doc(allow("sqs:SendMessage", r.props.arn, { Principal: "*" })) } }
                            : r,
                    ),
                /^resource-policy-not-public on callback-tasks-queue: queue "callback-tasks-queue": statement #1 allows Principal "\*" without a condition .*; fix: /,
            ],
            [
                'a queue policy open to "*"',
                () =>
                    added({
                        type: TYPES.queuePolicy,
                        name: "callback-tasks-queue-policy",
                        props: {
                            queueUrl: "https://q",
                            policy: doc(allow("sqs:SendMessage", QUEUE, { Sid: "Anyone", Principal: { AWS: "*" } })),
                        },
                    }),
                /^resource-policy-not-public on callback-tasks-queue-policy: queuePolicy "callback-tasks-queue-policy": statement "Anyone" allows Principal \{"AWS":"\*"\}/,
            ],
            [
                'the topic\'s policy open to "*"',
                () =>
                    registered.map((r) =>
                        r.name === "callback-notifications-topic"
                            ? { ...r, props: { ...r.props, policy: doc(allow("sns:Subscribe", r.props.arn, { Principal: "*" })) } }
                            : r,
                    ),
                /^resource-policy-not-public on callback-notifications-topic: topic "callback-notifications-topic": statement #1 allows Principal "\*"/,
            ],
            [
                'the KMS key policy open to "*"',
                () =>
                    withPolicy("callback-alarms-key", "policy", (all) => [
                        ...all,
                        allow("kms:Decrypt", "*", { Sid: "Anyone", Principal: { AWS: "*" } }),
                    ]),
                /^resource-policy-not-public on callback-alarms-key: key "callback-alarms-key": statement "Anyone" allows Principal \{"AWS":"\*"\}/,
            ],
            [
                'a lambda.Permission to "*"',
                () =>
                    added({
                        type: TYPES.permission,
                        name: "callback-invoke",
                        props: { action: "lambda:InvokeFunction", function: FN, principal: "*" },
                    }),
                /^resource-policy-not-public on callback-invoke: permission "callback-invoke": principal is "\*" without sourceArn, sourceAccount, principalOrgId that pins an account or organization: .*; fix: /,
            ],
            [
                "a function URL with auth NONE",
                () => added({ type: TYPES.functionUrl, name: "callback-url", props: { functionName: FN, authorizationType: "NONE" } }),
                /^resource-policy-not-public on callback-url: functionUrl "callback-url": authorizationType is NONE: .*; fix: set authorizationType: "AWS_IAM"$/,
            ],
            [
                "a trust policy whose conditions were removed",
                () =>
                    withPolicy(
                        "callback-workflow-role",
                        "assumeRolePolicy",
                        statement("AssumedByService", ({ Condition: _removed, ...s }) => s),
                    ),
                /^iam-trust-confused-deputy on callback-workflow-role: role "callback-workflow-role": statement "AssumedByService" lets states\.amazonaws\.com assume the role without a condition on aws:SourceAccount and aws:SourceArn, .*; fix: /,
            ],
            [
                "logging at ALL with execution data",
                () =>
                    registered.map((r) =>
                        r.type === TYPES.stateMachine
                            ? {
                                  ...r,
                                  props: {
                                      ...r.props,
                                      loggingConfiguration: {
                                          ...(r.props.loggingConfiguration as object),
                                          level: "ALL",
                                          includeExecutionData: true,
                                      },
                                  },
                              }
                            : r,
                    ),
                /^sfn-no-task-tokens-in-logs on callback-workflow-state-machine: stateMachine "callback-workflow-state-machine": logging at level ALL with includeExecutionData: true .*; fix: /,
            ],
        ];
        // The task queue's guard and the dead-letter queue's redrive allow policy, removed or hollowed out.
        const QUEUE_POLICY = "callback-tasks-access-queue-policy";
        const guardMessage =
            /^sqs-task-queue-send-guarded: queue "callback-tasks-queue": read by eventSourceMapping "callback-callback-trigger", it has no queue policy that denies sqs:SendMessage to "\*" except named roles, .*; fix: /m;
        weakenings.push(
            ["the task queue's policy with Statement: []", () => withPolicy(QUEUE_POLICY, "policy", () => []), guardMessage],
            [
                'the task queue\'s Deny admitting any role: ArnNotLike {"aws:PrincipalArn": "arn:aws:iam::*:*"}',
                () =>
                    withPolicy(
                        QUEUE_POLICY,
                        "policy",
                        statement("OnlyTheStateMachineSendsTasks", (s) => ({
                            ...s,
                            Condition: { ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:*" } },
                        })),
                    ),
                guardMessage,
            ],
            [
                "the task queue's Deny replaced by an Allow to another account",
                () =>
                    withPolicy(QUEUE_POLICY, "policy", () => [
                        allow("sqs:SendMessage", QUEUE, { Sid: "Partner", Principal: { AWS: "arn:aws:iam::999999999999:root" } }),
                    ]),
                guardMessage,
            ],
            ["the task queue's policy removed", () => registered.filter((r) => r.name !== QUEUE_POLICY), guardMessage],
            [
                "the dead-letter queue's redrive allow policy at allowAll",
                () =>
                    registered.map((r) =>
                        r.type === "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
                            ? { ...r, props: { ...r.props, redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }) } }
                            : r,
                    ),
                /^sqs-redrive-allow-restricted: redriveAllowPolicy "callback-tasks-dlq-redrive-allow": redrivePermission is allowAll, .*; fix: /m,
            ],
            [
                "the dead-letter queue's redrive allow policy removed",
                () => registered.filter((r) => r.type !== "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"),
                /^sqs-redrive-allow-restricted: queue "callback-tasks-dlq": a dead-letter queue without a redrive allow policy, .*; fix: /m,
            ],
        );
        weakenings.push(
            [
                "a queue policy admitting sns.amazonaws.com without a condition",
                () =>
                    withPolicy(QUEUE_POLICY, "policy", (all) => [
                        ...all,
                        allow("sqs:SendMessage", QUEUE, { Sid: "FromTopic", Principal: { Service: "sns.amazonaws.com" } }),
                    ]),
                /^resource-policy-not-public on callback-tasks-access-queue-policy: queuePolicy "callback-tasks-access-queue-policy": statement "FromTopic" allows the service sns\.amazonaws\.com without a condition .*; fix: /m,
            ],
            [
                'sqs:SendMessage on "*"',
                () =>
                    withPolicy(
                        "callback-workflow-policy",
                        "policy",
                        statement("SendTaskToken", (s) => ({ ...s, Resource: ["*"] })),
                    ),
                /^iam-no-wildcard-resources on callback-workflow-policy: rolePolicy "callback-workflow-policy": statement "SendTaskToken" grants sqs:SendMessage on "\*".*; fix: /m,
            ],
        );
        for (const [weakening, weaken, message] of weakenings) {
            it(`weakened by ${weakening}: a violation`, () => {
                const found = wholePack(weaken());
                assert.ok(found.length >= 1, "no violation");
                assert.match(found.join("\n"), message);
                // Each names the resource first and ends with the fix, stack rules' as resource rules'.
                for (const violation of found)
                    assert.match(violation.replace(/^[\w-]+( on [^:]+)?: /, ""), /^[a-zA-Z]+ "[^"]+": .*; fix: [^;]+$/);
            });
        }

        it("a Deny statement added anywhere is no violation", () => {
            const denyAll = (all: Statements) => [
                ...all,
                deny("*", "*", { Principal: "*" }),
                { Effect: "Deny", NotAction: "sqs:*", NotResource: QUEUE },
            ];
            for (const [name, key] of [
                ["callback-callback-policy", "policy"],
                ["callback-workflow-policy", "policy"],
                ["callback-alarms-key", "policy"],
                ["callback-workflow-role", "assumeRolePolicy"],
            ]) {
                assert.deepEqual(wholePack(withPolicy(name, key, denyAll)), [], name);
            }
        });
    });

    // The hostile review of the pack (issue 8, section 5): each finding's reproduction.
    describe("review: unknown values never fail a policy", () => {
        const none = (rule: string, type: string, props: Record<string, unknown>) =>
            assert.deepEqual(violationsOf(rule, type, props), [], `${rule} ${JSON.stringify(props)}`);
        it("sfn-logging-and-tracing: loggingConfiguration, level or tracing enabled unknown", () => {
            none("sfn-logging-and-tracing", TYPES.stateMachine, { ...observable, loggingConfiguration: UNKNOWN });
            none("sfn-logging-and-tracing", TYPES.stateMachine, { ...observable, loggingConfiguration: { level: UNKNOWN } });
            none("sfn-logging-and-tracing", TYPES.stateMachine, { ...observable, tracingConfiguration: { enabled: UNKNOWN } });
            none("sfn-logging-and-tracing", TYPES.stateMachine, { ...observable, tracingConfiguration: UNKNOWN });
        });
        it("sqs-queue-encrypted: sqsManagedSseEnabled unknown", () => {
            none("sqs-queue-encrypted", TYPES.queue, { sqsManagedSseEnabled: UNKNOWN });
        });
        it("lambda-supported-nodejs-runtime: runtime unknown", () => {
            none("lambda-supported-nodejs-runtime", TYPES.function, { runtime: UNKNOWN });
        });
        it("iam-trust-single-service: an object trust policy whose Principal, Service or Statement is unknown", () => {
            const trust = (statement: unknown) => ({ assumeRolePolicy: { Version: "2012-10-17", Statement: statement } });
            none("iam-trust-single-service", TYPES.role, trust([{ Effect: "Allow", Principal: UNKNOWN, Action: "sts:AssumeRole" }]));
            none(
                "iam-trust-single-service",
                TYPES.role,
                trust([{ Effect: "Allow", Principal: { Service: UNKNOWN }, Action: "sts:AssumeRole" }]),
            );
            none("iam-trust-single-service", TYPES.role, trust(UNKNOWN));
            // What is known is still checked.
            assert.equal(
                violationsOf(
                    "iam-trust-single-service",
                    TYPES.role,
                    trust([
                        { Effect: "Allow", Principal: { Service: UNKNOWN }, Action: "sts:AssumeRole" },
                        { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" },
                    ]),
                ).length,
                1,
            );
        });
        it("resource-policy-not-public: NotPrincipal unknown", () => {
            none("resource-policy-not-public", TYPES.key, {
                policy: { Statement: [{ Effect: "Allow", NotPrincipal: UNKNOWN, Action: "kms:Decrypt", Resource: "*" }] },
            });
        });
    });

    describe("review: values misread", () => {
        const logging = (includeExecutionData: unknown) => ({
            ...observable,
            loggingConfiguration: { ...observable.loggingConfiguration, level: "ALL", includeExecutionData },
        });
        it('sfn-no-task-tokens-in-logs: includeExecutionData "true" (a string) is true', () => {
            assert.match(
                violationsOf("sfn-no-task-tokens-in-logs", TYPES.stateMachine, logging("true")).join("\n"),
                /includeExecutionData: true/,
            );
            assert.deepEqual(violationsOf("sfn-no-task-tokens-in-logs", TYPES.stateMachine, logging("false")), []);
        });
        it("lambda-supported-nodejs-runtime: a container image function has no runtime", () => {
            assert.deepEqual(violationsOf("lambda-supported-nodejs-runtime", TYPES.function, { packageType: "Image", imageUri: "x" }), []);
            assert.equal(violationsOf("lambda-supported-nodejs-runtime", TYPES.function, { packageType: "Zip" }).length, 1);
        });
        it("iam-trust-single-service: a trust policy made only of Deny statements", () => {
            assert.deepEqual(
                violationsOf("iam-trust-single-service", TYPES.role, {
                    assumeRolePolicy: doc({ Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }),
                }),
                [],
            );
        });
        it("sfn-callback-timeout: a JSONata expression or a TimeoutSecondsPath cannot be checked: no violation", () => {
            const withTimeout = (extra: Record<string, unknown>) => {
                const d = JSON.parse(definition()) as { States: Record<string, Record<string, unknown>> };
                Object.assign(d.States["Start Task And Wait For Callback"], extra);
                return { definition: JSON.stringify(d) };
            };
            assert.deepEqual(
                violationsOf("sfn-callback-timeout", TYPES.stateMachine, withTimeout({ TimeoutSeconds: "{% $states.input.timeout %}" })),
                [],
            );
            assert.deepEqual(
                violationsOf("sfn-callback-timeout", TYPES.stateMachine, withTimeout({ TimeoutSecondsPath: "$.timeout" })),
                [],
            );
            assert.equal(violationsOf("sfn-callback-timeout", TYPES.stateMachine, withTimeout({ TimeoutSeconds: "300" })).length, 1);
        });
        it("iam-no-wildcard-actions: allowedManagedPolicyArns match the same AWS managed policy in any partition", () => {
            const config = { allowedManagedPolicyArns: ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"] };
            assert.deepEqual(
                violationsOf(
                    "iam-no-wildcard-actions",
                    TYPES.role,
                    { managedPolicyArns: ["arn:aws-cn:iam::aws:policy/AWSXRayDaemonWriteAccess"] },
                    config,
                ),
                [],
            );
            assert.equal(
                violationsOf(
                    "iam-no-wildcard-actions",
                    TYPES.role,
                    { managedPolicyArns: ["arn:aws-cn:iam::aws:policy/AdministratorAccess"] },
                    config,
                ).length,
                1,
            );
        });
    });

    describe("review: wildcards and conditions that only look narrowing", () => {
        const sensitive = (action: string, resource: string) =>
            violationsOf("iam-sensitive-actions-scoped", TYPES.rolePolicy, { policy: doc(allow(action, resource)) });
        it("iam-sensitive-actions-scoped: a wildcard that merges with the resource type, or a field left open", () => {
            for (const [action, resource] of [
                ["states:SendTaskSuccess", "arn:aws:states:eu-west-1:123456789012:s*"],
                ["states:SendTaskSuccess", "arn:aws:states:*:*:stateMachine*"],
                ["states:SendTaskSuccess", "arn:aws:states:eu-west-1:123456789012:stateMachine:*"],
                ["states:SendTaskSuccess", "arn:aws:states:eu-west-1:*:stateMachine:callback-*"],
                ["states:SendTaskSuccess", "arn:aws:*:eu-west-1:123456789012:stateMachine:callback"],
                ["iam:PassRole", "arn:aws:iam::123456789012:role*"],
                ["iam:PassRole", "arn:aws:iam::123456789012:*role*"],
                ["iam:PassRole", "arn:aws:iam::123456789012:role/*"],
                ["sts:AssumeRole", "arn:*:iam::123456789012:role/reader"],
                ["iam:PassRole", "arn:aws:iam::*"],
            ]) {
                assert.match(sensitive(action, resource).join("\n"), new RegExp(`grants ${action} on "`), `${action} on ${resource}`);
            }
            for (const [action, resource] of [
                ["states:SendTaskSuccess", "arn:aws:states:eu-west-1:123456789012:stateMachine:c*"],
                ["states:SendTaskSuccess", "arn:aws:states:eu-west-1:123456789012:execution:callback:*"],
                ["iam:PassRole", "arn:aws:iam::123456789012:role/service-role/*"],
                ["sts:AssumeRole", "arn:aws-cn:iam::123456789012:role/reader"],
                // A resource of another service grants nothing of these actions.
                ["iam:PassRole", QUEUE],
            ]) {
                assert.deepEqual(sensitive(action, resource), [], `${action} on ${resource}`);
            }
        });

        const trustWith = (Condition: Record<string, unknown>) => ({ assumeRolePolicy: doc(trustStatement(Condition)) });
        const open = (Condition: Record<string, unknown>) => ({
            policy: doc(allow("sqs:SendMessage", QUEUE, { Principal: "*", Condition })),
        });
        const reviewerConditions: Record<string, unknown>[] = [
            { StringLike: { "aws:SourceAccount": ["0*", "1*", "2*", "3*", "4*", "5*", "6*", "7*", "8*", "9*"] } },
            { StringLike: { "aws:SourceAccount": "*1*" } },
            { ArnLike: { "aws:SourceArn": "arn:aws:states:*" } },
            { ArnLike: { "aws:SourceArn": "arn:*" } },
            { ArnLike: { "aws:SourceArn": "arn:aws:sns:*" } },
            { StringLike: { "aws:PrincipalOrgID": "o-*" } },
            { StringLike: { "aws:PrincipalArn": "arn:aws:iam::*" } },
            { StringEquals: { "aws:SourceAccount": "${aws:SourceAccount}" } },
            { ArnEquals: { "aws:SourceArn": "arn:aws:sns:eu-west-1:${aws:PrincipalAccount}:t" } },
        ];
        it("resource-policy-not-public: a condition value must pin an account or an organization", () => {
            for (const condition of reviewerConditions)
                assert.equal(violationsOf("resource-policy-not-public", TYPES.queue, open(condition)).length, 1, JSON.stringify(condition));
            for (const condition of [
                { StringEquals: { "aws:SourceAccount": 123456789012 } },
                { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } },
                { ArnLike: { "aws:SourceArn": "arn:aws:sns:*:123456789012:*" } },
                { StringLike: { "aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*" } },
            ])
                assert.deepEqual(violationsOf("resource-policy-not-public", TYPES.queue, open(condition)), [], JSON.stringify(condition));
        });
        it("iam-trust-confused-deputy: the same, and a numeric account is an account", () => {
            const sourceArn = { ArnLike: { "aws:SourceArn": `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:*` } };
            const sourceAccount = { StringEquals: { "aws:SourceAccount": ACCOUNT } };
            // Each reviewer condition on one of the two keys, the other key well restricted.
            for (const condition of reviewerConditions) {
                const [operator, block] = Object.entries(condition)[0] as [string, Record<string, unknown>];
                const key = Object.keys(block)[0];
                if (!/^aws:Source(Account|Arn)$/.test(key)) continue;
                const other = key === "aws:SourceAccount" ? sourceArn : sourceAccount;
                assert.match(
                    violationsOf("iam-trust-confused-deputy", TYPES.role, trustWith({ ...other, [operator]: block })).join("\n"),
                    new RegExp(`without a condition on ${key},`),
                    JSON.stringify(condition),
                );
            }
            assert.match(
                violationsOf(
                    "iam-trust-confused-deputy",
                    TYPES.role,
                    trustWith({ StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": "arn:aws:states:*" } }),
                ).join("\n"),
                /without a condition on aws:SourceArn/,
            );
            assert.match(
                violationsOf(
                    "iam-trust-confused-deputy",
                    TYPES.role,
                    trustWith({ StringLike: { "aws:SourceAccount": "*1*" }, ...sourceArn }),
                ).join("\n"),
                /without a condition on aws:SourceAccount,/,
            );
            assert.deepEqual(
                violationsOf(
                    "iam-trust-confused-deputy",
                    TYPES.role,
                    trustWith({ StringEquals: { "aws:SourceAccount": 123456789012 }, ...sourceArn }),
                ),
                [],
            );
        });
        it("iam-trust-confused-deputy: a regional service principal is the same service", () => {
            for (const service of ["states.eu-west-1.amazonaws.com", "states.cn-north-1.amazonaws.com.cn", "STATES.amazonaws.com"]) {
                const found = violationsOf("iam-trust-confused-deputy", TYPES.role, {
                    assumeRolePolicy: doc({ ...trustStatement({}), Principal: { Service: service } }),
                });
                assert.match(found.join("\n"), /without a condition on aws:SourceAccount and aws:SourceArn/, service);
            }
        });
    });

    describe("review: service principals and resources without a name", () => {
        const rule = "resource-policy-not-public";
        const sns = { Service: "sns.amazonaws.com" };
        it("resource-policy-not-public: an Allow to a service principal needs aws:SourceArn or aws:SourceAccount (confused deputy)", () => {
            assert.match(
                violationsOf(rule, TYPES.queuePolicy, {
                    policy: doc(allow("sqs:SendMessage", QUEUE, { Sid: "FromTopic", Principal: sns })),
                }).join("\n"),
                /^queuePolicy "r": statement "FromTopic" allows the service sns\.amazonaws\.com without a condition on aws:SourceArn or aws:SourceAccount that pins an account, .*; fix: /,
            );
            // A wildcard that pins nothing is no condition either.
            assert.equal(
                violationsOf(rule, TYPES.queue, {
                    policy: doc(
                        allow("sqs:SendMessage", QUEUE, { Principal: sns, Condition: { ArnLike: { "aws:SourceArn": "arn:aws:sns:*" } } }),
                    ),
                }).length,
                1,
            );
            assert.deepEqual(
                violationsOf(rule, TYPES.queue, {
                    policy: doc(
                        allow("sqs:SendMessage", QUEUE, {
                            Principal: { Service: "sns.eu-west-1.amazonaws.com" },
                            Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:t" } },
                        }),
                    ),
                }),
                [],
            );
        });
        it("resource-policy-not-public: the operations key's CloudWatch statement passes through serviceGrantsWithoutCondition", () => {
            const keyPolicy = { policy: JSON.stringify(operationsKeyPolicy(ACCOUNT, "aws")) };
            assert.deepEqual(violationsOf(rule, TYPES.key, keyPolicy), []);
            assert.match(
                violationsOf(rule, TYPES.key, keyPolicy, { serviceGrantsWithoutCondition: [] }).join("\n"),
                /statement "CloudWatchPublishesAlarms" allows the service cloudwatch\.amazonaws\.com without a condition/,
            );
            // More actions than the allow-list names: reported.
            assert.match(
                violationsOf(rule, TYPES.key, {
                    policy: doc(
                        allow(["kms:Decrypt", "kms:CreateGrant"], "*", {
                            Sid: "CloudWatch",
                            Principal: { Service: "cloudwatch.amazonaws.com" },
                        }),
                    ),
                }).join("\n"),
                /statement "CloudWatch" allows the service cloudwatch\.amazonaws\.com/,
            );
        });
        it("resource-policy-not-public: a lambda.Permission to a service without sourceArn or sourceAccount, or with a source that pins nothing", () => {
            assert.match(
                violationsOf(rule, TYPES.permission, {
                    action: "lambda:InvokeFunction",
                    function: FN,
                    principal: "sns.amazonaws.com",
                }).join("\n"),
                /^permission "r": principal is the service sns\.amazonaws\.com without sourceArn or sourceAccount that pins an account: .*; fix: /,
            );
            assert.equal(
                violationsOf(rule, TYPES.permission, {
                    action: "lambda:InvokeFunction",
                    function: FN,
                    principal: "s3.amazonaws.com",
                    sourceArn: "arn:aws:s3:::*",
                }).length,
                1,
            );
            assert.equal(
                violationsOf(rule, TYPES.permission, {
                    action: "lambda:InvokeFunction",
                    function: FN,
                    principal: "*",
                    sourceArn: "arn:aws:s3:::*",
                }).length,
                1,
            );
            assert.deepEqual(
                violationsOf(rule, TYPES.permission, {
                    action: "lambda:InvokeFunction",
                    function: FN,
                    principal: "s3.amazonaws.com",
                    sourceArn: "arn:aws:s3:::bucket",
                    sourceAccount: ACCOUNT,
                }),
                [],
            );
        });

        it("resource-policy-not-public: an organization id that is a wildcard pins nothing (permissions, layer permissions)", () => {
            const permission = (principalOrgId: string) => ({
                action: "lambda:InvokeFunction",
                function: FN,
                principal: "*",
                principalOrgId,
            });
            assert.deepEqual(violationsOf(rule, TYPES.permission, permission("o-a1b2c3d4e5")), []);
            assert.equal(violationsOf(rule, TYPES.permission, permission("o-*")).length, 1);
            const layer = (organizationId: string) => ({
                layerName: "l",
                versionNumber: 1,
                action: "lambda:GetLayerVersion",
                principal: "*",
                organizationId,
            });
            assert.deepEqual(violationsOf(rule, TYPES.layerVersionPermission, layer("o-a1b2c3d4e5")), []);
            assert.match(
                violationsOf(rule, TYPES.layerVersionPermission, layer("o-*")).join("\n"),
                /^layerVersionPermission "r": principal is "\*" without organizationId/,
            );
        });

        const noStar = "iam-no-wildcard-resources";
        it('iam-no-wildcard-resources: an action that takes a resource is not granted on "*"', () => {
            for (const [action, extra] of [
                ["sqs:SendMessage", {}],
                ["sqs:ReceiveMessage", {}],
                ["kms:Decrypt", {}],
                ["states:GetExecutionHistory", {}],
                ["iam:PutRolePolicy", {}],
                ["kms:Decrypt", { Condition: { StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com" } } }],
            ] as const) {
                assert.match(
                    violationsOf(noStar, TYPES.rolePolicy, { policy: doc(allow(action, "*", { Sid: "Loose", ...extra })) }).join("\n"),
                    new RegExp(`^rolePolicy "r": statement "Loose" grants ${action} on "\\*".*; fix: `),
                    action,
                );
            }
            assert.equal(violationsOf(noStar, TYPES.policy, { policy: doc(allow("sqs:SendMessage", [QUEUE, "**"])) }).length, 1);
            assert.equal(violationsOf(noStar, TYPES.policy, { policy: doc(allow("sqs:SendMessage", "arn:aws:sqs:*:*:*")) }).length, 1);
            // The stack's own "*" statements pass; a Deny on "*" takes away; an unknown action waits.
            const machine = stateMachinePolicy({
                queueArn: QUEUE,
                topicArn: "t",
                topicKeyArn: "k",
                region: "r",
                dnsSuffix: "amazonaws.com",
            });
            assert.deepEqual(violationsOf(noStar, TYPES.rolePolicy, { policy: JSON.stringify(machine) }), []);
            assert.deepEqual(
                violationsOf(noStar, TYPES.rolePolicy, {
                    policy: { Statement: [deny("sqs:SendMessage", "*"), allow(UNKNOWN, "*"), allow([UNKNOWN], "*")] },
                }),
                [],
            );
            // The list is configurable.
            assert.deepEqual(
                violationsOf(
                    noStar,
                    TYPES.rolePolicy,
                    { policy: doc(allow("sts:GetCallerIdentity", "*")) },
                    { actionsWithoutResource: ["sts:GetCallerIdentity"] },
                ),
                [],
            );
            assert.equal(violationsOf(noStar, TYPES.rolePolicy, { policy: doc(allow("sts:GetCallerIdentity", "*")) }).length, 1);
        });
    });

    describe("review: the stack's guards on its queues", () => {
        const SENDER = "arn:aws:iam::123456789012:role/callback-workflow-role-1a2b3c4";
        const tasks = queue("tasks", { arn: QUEUE, url: "https://q/tasks", redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ }) });
        const dlq = queue("dlq", { arn: DLQ, url: "https://q/dlq" });
        const trigger = mapping({ eventSourceArn: QUEUE, functionName: FN, functionResponseTypes: ["ReportBatchItemFailures"] });
        const queuePolicy = (
            policy: unknown,
            props: Record<string, unknown> = { queueUrl: "https://q/tasks" },
            deps?: Record<string, string[]>,
        ) => ({
            type: TYPES.queuePolicy,
            name: "tasks-policy",
            props: { ...props, policy },
            deps,
        });
        const guard = (Condition: unknown = { ArnNotEquals: { "aws:PrincipalArn": SENDER } }) =>
            deny("sqs:SendMessage", QUEUE, { Sid: "Guard", Principal: "*", Condition });
        const redriveAllow = (
            redriveAllowPolicy: unknown,
            props: Record<string, unknown> = { queueUrl: "https://q/dlq" },
            deps?: Record<string, string[]>,
        ) => ({
            type: "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
            name: "dlq-redrive-allow",
            props: { ...props, redriveAllowPolicy },
            deps,
        });
        const send = "sqs-task-queue-send-guarded";
        const redrive = "sqs-redrive-allow-restricted";

        it("sqs-task-queue-send-guarded: a queue read by a mapping has a Deny of sqs:SendMessage to all but named roles", () => {
            for (const policy of [
                taskQueuePolicy,
                doc(guard()),
                doc(guard({ StringNotEquals: { "aws:PrincipalArn": [SENDER, "arn:aws:iam::123456789012:role/operator"] } })),
                doc(deny("sqs:*", "*", { Principal: { AWS: "*" }, Condition: { ArnNotLike: { "aws:PrincipalArn": SENDER } } })),
            ])
                assert.deepEqual(stackViolationsOf(send, [tasks, dlq, trigger, queuePolicy(policy)]), [], policy);
            // The queue's own policy will do too; a queue no mapping reads needs none.
            assert.deepEqual(stackViolationsOf(send, [{ ...tasks, props: { ...tasks.props, policy: doc(guard()) } }, dlq, trigger]), []);
            assert.deepEqual(stackViolationsOf(send, [tasks, dlq]), []);
            for (const policy of [
                doc(),
                doc(guard({ ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::*:*" } })),
                doc(guard({ ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::123456789012:role/*" } })),
                doc(guard({ ArnNotEquals: { "aws:PrincipalArn": SENDER }, StringEquals: { "aws:SourceAccount": "999999999999" } })),
                doc(guard({ ArnNotEqualsIfExists: { "aws:PrincipalArn": SENDER } })),
                doc(guard({})),
                doc(allow("sqs:SendMessage", QUEUE, { Principal: { AWS: "arn:aws:iam::999999999999:root" } })),
                doc(deny("sqs:ReceiveMessage", QUEUE, { Principal: "*", Condition: { ArnNotEquals: { "aws:PrincipalArn": SENDER } } })),
                doc(deny("sqs:SendMessage", QUEUE, { Principal: { AWS: "arn:aws:iam::999999999999:root" } })),
                // A Deny on another queue guards nothing here.
                doc(deny("sqs:SendMessage", DLQ, { Principal: "*", Condition: { ArnNotEquals: { "aws:PrincipalArn": SENDER } } })),
            ])
                assert.deepEqual(
                    stackViolationsOf(send, [tasks, dlq, trigger, queuePolicy(policy)]),
                    [
                        'queue "tasks": read by eventSourceMapping "trigger", it has no queue policy that denies sqs:SendMessage to "*" except named roles, so whoever an identity policy of the account lets send could put a forged task on it; fix: add an aws.sqs.QueuePolicy with a Deny of sqs:SendMessage to Principal "*" under ArnNotEquals {"aws:PrincipalArn": [the sender roles\' ARNs]}',
                    ],
                    policy,
                );
            assert.equal(stackViolationsOf(send, [tasks, dlq, trigger]).length, 1);
        });

        it("sqs-task-queue-send-guarded: during a preview, finds the policy through dependencies and never fails on unknown values", () => {
            const newTasks = queue("tasks", { arn: UNKNOWN, url: UNKNOWN });
            const newTrigger = mapping({ eventSourceArn: UNKNOWN }, { eventSourceArn: ["tasks"] });
            assert.deepEqual(
                stackViolationsOf(send, [newTasks, newTrigger, queuePolicy(UNKNOWN, { queueUrl: UNKNOWN }, { queueUrl: ["tasks"] })]),
                [],
            );
            assert.deepEqual(
                stackViolationsOf(send, [
                    newTasks,
                    newTrigger,
                    queuePolicy(
                        { Statement: [guard({ ArnNotEquals: { "aws:PrincipalArn": UNKNOWN } })] },
                        { queueUrl: UNKNOWN },
                        { queueUrl: ["tasks"] },
                    ),
                ]),
                [],
            );
            assert.deepEqual(
                stackViolationsOf(send, [
                    newTasks,
                    newTrigger,
                    queuePolicy({ Statement: UNKNOWN }, { queueUrl: UNKNOWN }, { queueUrl: ["tasks"] }),
                ]),
                [],
            );
            // A queue policy whose queue is not known yet, with no recorded dependency, might be this queue's.
            assert.deepEqual(stackViolationsOf(send, [newTasks, newTrigger, queuePolicy(doc(guard()), { queueUrl: UNKNOWN })]), []);
            assert.deepEqual(stackViolationsOf(send, [{ ...newTasks, props: { ...newTasks.props, policy: UNKNOWN } }, newTrigger]), []);
            // The queue's ARN unknown: a Deny on any resource might be on it.
            assert.deepEqual(
                stackViolationsOf(send, [
                    newTasks,
                    newTrigger,
                    queuePolicy(doc({ ...guard(), Resource: DLQ }), { queueUrl: UNKNOWN }, { queueUrl: ["tasks"] }),
                ]),
                [],
            );
            // Known and hollow: reported on the first preview.
            assert.equal(
                stackViolationsOf(send, [newTasks, newTrigger, queuePolicy(doc(), { queueUrl: UNKNOWN }, { queueUrl: ["tasks"] })]).length,
                1,
            );
        });

        it("sqs-redrive-allow-restricted: byQueue or denyAll, never allowAll; a dead-letter queue has one", () => {
            for (const permission of ["byQueue", "denyAll"])
                assert.deepEqual(
                    stackViolationsOf(redrive, [
                        tasks,
                        dlq,
                        redriveAllow(JSON.stringify({ redrivePermission: permission, sourceQueueArns: [QUEUE] })),
                    ]),
                    [],
                );
            assert.deepEqual(stackViolationsOf(redrive, [tasks, dlq, redriveAllow(JSON.stringify({ redrivePermission: "allowAll" }))]), [
                'redriveAllowPolicy "dlq-redrive-allow": redrivePermission is allowAll, so a queue of any account may use this queue as its dead-letter queue; fix: set redrivePermission to "byQueue" with sourceQueueArns, or "denyAll"',
            ]);
            assert.match(
                stackViolationsOf(redrive, [
                    tasks,
                    { ...dlq, props: { ...dlq.props, redriveAllowPolicy: JSON.stringify({ redrivePermission: "allowAll" }) } },
                ]).join("\n"),
                /^queue "dlq": redrivePermission is allowAll, .*; fix: /,
            );
            assert.deepEqual(stackViolationsOf(redrive, [tasks, dlq]), [
                'queue "dlq": a dead-letter queue without a redrive allow policy, which means allowAll; fix: add an aws.sqs.RedriveAllowPolicy with redrivePermission "byQueue" and sourceQueueArns',
            ]);
            assert.deepEqual(
                stackViolationsOf(redrive, [
                    tasks,
                    { ...dlq, props: { ...dlq.props, redriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }) } },
                ]),
                [],
            );
            // During a preview: unknown policies, queues found through dependencies.
            const newDlq = queue("dlq", { arn: UNKNOWN, url: UNKNOWN });
            const newTasks = queue("tasks", { arn: UNKNOWN, redrivePolicy: UNKNOWN }, { redrivePolicy: ["dlq"] });
            assert.deepEqual(
                stackViolationsOf(redrive, [newTasks, newDlq, redriveAllow(UNKNOWN, { queueUrl: UNKNOWN }, { queueUrl: ["dlq"] })]),
                [],
            );
            assert.deepEqual(stackViolationsOf(redrive, [newTasks, newDlq, redriveAllow(UNKNOWN, { queueUrl: UNKNOWN })]), []);
            assert.deepEqual(
                stackViolationsOf(redrive, [
                    newTasks,
                    newDlq,
                    redriveAllow({ redrivePermission: UNKNOWN }, { queueUrl: UNKNOWN }, { queueUrl: ["dlq"] }),
                ]),
                [],
            );
            assert.equal(stackViolationsOf(redrive, [newTasks, newDlq]).length, 1);
        });
    });

    describe("review: unknown values in the other stack rules and in a definition", () => {
        it("sfn-callback-timeout: an unknown TimeoutSeconds in an object definition", () => {
            const d = JSON.parse(definition(300)) as { States: Record<string, Record<string, unknown>> };
            d.States["Start Task And Wait For Callback"].TimeoutSeconds = UNKNOWN;
            assert.deepEqual(violationsOf("sfn-callback-timeout", TYPES.stateMachine, { definition: d }), []);
        });
        it("stack rules: an unknown retention, timeout, visibility timeout, response types or logging config", () => {
            const tasks = queue("tasks", { arn: QUEUE, visibilityTimeoutSeconds: 65 });
            const trigger = (props: Record<string, unknown> = {}) =>
                mapping({ eventSourceArn: QUEUE, functionName: FN, maximumBatchingWindowInSeconds: 5, ...props });
            const visibility = "sqs-visibility-timeout-covers-function";
            assert.deepEqual(
                stackViolationsOf(visibility, [{ ...tasks, props: { ...tasks.props, visibilityTimeoutSeconds: UNKNOWN } }, fn, trigger()]),
                [],
            );
            assert.deepEqual(stackViolationsOf(visibility, [tasks, { ...fn, props: { ...fn.props, timeout: UNKNOWN } }, trigger()]), []);
            assert.deepEqual(stackViolationsOf(visibility, [tasks, fn, trigger({ maximumBatchingWindowInSeconds: UNKNOWN })]), []);
            assert.deepEqual(
                stackViolationsOf("sqs-event-source-reports-batch-item-failures", [trigger({ functionResponseTypes: UNKNOWN })]),
                [],
            );
            assert.deepEqual(
                stackViolationsOf("sqs-event-source-reports-batch-item-failures", [trigger({ functionResponseTypes: [UNKNOWN] })]),
                [],
            );
            const withGroup: StackResource = {
                type: TYPES.function,
                name: "callback",
                props: { name: "cb-123", loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/cb" } },
            };
            const group: StackResource = {
                type: TYPES.logGroup,
                name: "logs",
                props: { name: "/aws/lambda/cb", retentionInDays: UNKNOWN },
            };
            assert.deepEqual(stackViolationsOf("lambda-log-retention", [withGroup, group]), []);
            assert.deepEqual(
                stackViolationsOf("lambda-log-retention", [{ ...withGroup, props: { name: "cb-123", loggingConfig: UNKNOWN } }]),
                [],
            );
        });
    });
});
