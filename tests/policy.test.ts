/** The policy pack: every rule with a passing and a violating resource, and the stack's own resources. */
import { strict as assert } from "node:assert";
import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { buildCallbackDefinition } from "../infra/definition";
import { functionPolicy, functionTrustPolicy, stateMachinePolicy } from "../infra/policies";
import { policies } from "../policy/pack";
import { type CheckedResource, TYPES } from "../policy/rules";
import { runProgram } from "./mocks";

/** Runs one resource policy of the pack on a resource; returns its violations. */
function violationsOf(policyName: string, type: string, props: Record<string, unknown>, config: object = {}): string[] {
    const policy = policies.find((p) => p.name === policyName) as ResourceValidationPolicy | undefined;
    assert.ok(policy?.validateResource, `no resource policy ${policyName}`);
    const found: string[] = [];
    const validate = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    const args = { type, props, urn: `urn:pulumi:test::p::${type}::r`, name: "r", getConfig: () => config } as never;
    for (const fn of validate) void fn(args, (message: string) => found.push(message));
    return found;
}

/** Runs one stack policy of the pack on resources; returns its violations. */
function stackViolationsOf(policyName: string, resources: CheckedResource[]): string[] {
    const policy = policies.find((p) => p.name === policyName) as StackValidationPolicy | undefined;
    assert.ok(policy?.validateStack, `no stack policy ${policyName}`);
    const found: string[] = [];
    void policy.validateStack(
        { resources: resources.map((r) => ({ ...r, urn: r.name })), getConfig: () => ({}) } as never,
        (message: string) => found.push(message),
    );
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

describe("policy pack", () => {
    it("holds every rule the stack promises, all mandatory by default", () => {
        assert.deepEqual(policies.map((p: Policy) => p.name).sort(), [
            "iam-no-wildcard-actions",
            "iam-trust-single-service",
            "lambda-log-retention",
            "lambda-supported-nodejs-runtime",
            "sfn-callback-standard",
            "sfn-callback-timeout",
            "sfn-logging-and-tracing",
            "sns-topic-kms-encrypted",
            "sqs-event-source-reports-batch-item-failures",
            "sqs-queue-encrypted",
            "sqs-queue-redrive",
            "sqs-visibility-timeout-covers-function",
        ]);
        for (const policy of policies) assert.equal(policy.enforcementLevel, "mandatory", policy.name);
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
            {
                loggingConfiguration: { level: "ERROR", logDestination: "arn:aws:logs:x:1:log-group:g:*" },
                tracingConfiguration: { enabled: true },
            },
            { loggingConfiguration: { level: "OFF" }, tracingConfiguration: { enabled: false } },
            /logging is off/,
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
            /statement Loose grants the wildcard action sqs:\*/,
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
            /grants the wildcard action \*/,
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
            /must trust exactly one service principal/,
        ],
        [
            "iam-trust-single-service",
            TYPES.role,
            {
                assumeRolePolicy: {
                    Statement: [{ Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" }],
                },
            },
            { assumeRolePolicy: { Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] } },
            /names \{"AWS":"\*"\}/,
        ],
        [
            "sqs-event-source-reports-batch-item-failures",
            TYPES.eventSourceMapping,
            { eventSourceArn: QUEUE, functionResponseTypes: ["ReportBatchItemFailures"] },
            { eventSourceArn: QUEUE },
            /does not report batch item failures/,
        ],
    ];
    for (const [policy, type, passing, violating, message] of cases) {
        it(`${policy}: passes a compliant ${type.split(":").pop()}, reports a violating one`, () => {
            assert.deepEqual(violationsOf(policy, type, passing), []);
            const found = violationsOf(policy, type, violating);
            assert.equal(found.length >= 1, true, `no violation for ${JSON.stringify(violating)}`);
            assert.match(found.join("\n"), message);
        });
    }

    it("applies each resource rule to its own types only", () => {
        assert.deepEqual(violationsOf("sqs-queue-encrypted", TYPES.topic, {}), []);
        assert.deepEqual(
            violationsOf("sqs-event-source-reports-batch-item-failures", TYPES.eventSourceMapping, {
                eventSourceArn: "arn:aws:kinesis:x:1:stream/s",
            }),
            [],
        );
    });

    it("takes the accepted runtimes from the pack's configuration", () => {
        assert.deepEqual(
            violationsOf("lambda-supported-nodejs-runtime", TYPES.function, { runtime: "nodejs24.x" }, { nodejsRuntimes: ["nodejs24.x"] }),
            [],
        );
        assert.equal(
            violationsOf("lambda-supported-nodejs-runtime", TYPES.function, { runtime: "nodejs22.x" }, { nodejsRuntimes: ["nodejs24.x"] })
                .length,
            1,
        );
    });

    describe("stack rules", () => {
        const queue = (name: string, props: Record<string, unknown>): CheckedResource => ({ type: TYPES.queue, name, props });
        it("sqs-queue-redrive: a queue has a dead-letter queue or is one", () => {
            const tasks = queue("tasks", { arn: QUEUE, redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ, maxReceiveCount: 5 }) });
            const dlq = queue("dlq", { arn: DLQ });
            assert.deepEqual(stackViolationsOf("sqs-queue-redrive", [tasks, dlq]), []);
            assert.deepEqual(stackViolationsOf("sqs-queue-redrive", [dlq, queue("lonely", { arn: `${QUEUE}-2` })]), [
                "queue dlq has no redrive policy and is no other queue's dead-letter queue",
                "queue lonely has no redrive policy and is no other queue's dead-letter queue",
            ]);
        });

        it("sqs-visibility-timeout-covers-function: 6 × the function timeout + the batching window", () => {
            const resources = (visibility: number): CheckedResource[] => [
                queue("tasks", { arn: QUEUE, visibilityTimeoutSeconds: visibility }),
                { type: TYPES.function, name: "callback", props: { arn: FN, timeout: 10 } },
                {
                    type: TYPES.eventSourceMapping,
                    name: "trigger",
                    props: { eventSourceArn: QUEUE, functionName: FN, maximumBatchingWindowInSeconds: 5 },
                },
            ];
            assert.deepEqual(stackViolationsOf("sqs-visibility-timeout-covers-function", resources(65)), []);
            assert.deepEqual(stackViolationsOf("sqs-visibility-timeout-covers-function", resources(64)), [
                "queue tasks has a visibility timeout of 64 s; feeding callback (timeout 10 s, batching window 5 s) it needs at least 65 s",
            ]);
        });

        it("lambda-log-retention: the function's log group is in the stack and has a retention", () => {
            const fn: CheckedResource = {
                type: TYPES.function,
                name: "callback",
                props: { name: "cb-123", loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/cb" } },
            };
            const group = (days?: number): CheckedResource => ({
                type: TYPES.logGroup,
                name: "logs",
                props: { name: "/aws/lambda/cb", ...(days ? { retentionInDays: days } : {}) },
            });
            assert.deepEqual(stackViolationsOf("lambda-log-retention", [fn, group(30)]), []);
            assert.deepEqual(stackViolationsOf("lambda-log-retention", [fn, group()]), [
                "log group logs of function callback keeps logs forever: set retentionInDays",
            ]);
            assert.match(
                stackViolationsOf("lambda-log-retention", [{ ...fn, props: { name: "cb-123" } }, group(30)])[0],
                /logs to \/aws\/lambda\/cb-123, which this stack does not create/,
            );
        });
    });

    it("the stack's own resources, as registered under the mocks, pass the whole pack", async () => {
        const { recorder } = await runProgram({
            notificationEmail: "ops@example.com",
            heartbeatSeconds: "120",
            batchSize: "20",
            maxBatchingWindowSeconds: "5",
        });
        const resources: CheckedResource[] = recorder.resources
            .filter((r) => r.type.startsWith("aws:"))
            .map((r) => ({ type: r.type, name: r.name, props: r.state }));
        const violations: string[] = [];
        for (const policy of policies) {
            if ("validateResource" in policy && policy.validateResource) {
                for (const r of resources)
                    violations.push(...violationsOf(policy.name, r.type, r.props).map((v) => `${policy.name} on ${r.name}: ${v}`));
            } else {
                violations.push(...stackViolationsOf(policy.name, resources).map((v) => `${policy.name}: ${v}`));
            }
        }
        assert.deepEqual(violations, []);
        // The stack rules did look at the stack's resources: they found the mapping, queue and function.
        const mapping = resources.find((r) => r.type === TYPES.eventSourceMapping)!;
        const tooShort = resources.map((r) =>
            r.type === TYPES.queue && r.props.arn === mapping.props.eventSourceArn
                ? { ...r, props: { ...r.props, visibilityTimeoutSeconds: 1 } }
                : r,
        );
        assert.equal(stackViolationsOf("sqs-visibility-timeout-covers-function", tooShort).length, 1);
    });
});
