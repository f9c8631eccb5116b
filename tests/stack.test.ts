import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import validate from "asl-validator";
import { buildCallbackDefinition } from "../infra/definition";
import {
    deadLetterQueuePolicy,
    functionPolicy,
    functionTrustPolicy,
    operationsKeyPolicy,
    stateMachinePolicy,
    stateMachineTrustPolicy,
    taskQueuePolicy,
} from "../infra/iam-documents";
import { CALLBACK_FUNCTION_ARCHIVE } from "../infra/function-artifact";
import { FUNCTION_ENVIRONMENT, functionSettings } from "../functions/callback/settings";
import { buildArtifactElsewhere } from "./support/build-elsewhere";
import {
    ACCOUNT_ID,
    MockRecorder,
    PROJECT,
    REGION,
    runProgram,
    SNS_KEY_ARN,
    valueOf,
    type ProgramOutputs,
    type RegisteredResource,
} from "./mocks";
import { AWS_TAG_LIMITS, ConfigError, DEFAULT_SETTINGS, LOG_LEVELS, MAX_USER_TAGS, parseSettings } from "../infra/config";
import { maxMessageAgeSeconds } from "../infra/alarm-definitions";
import { CALLBACK_PATTERN_TYPE } from "../infra/callback-pattern";
import { COMPONENT_NAME } from "../infra/deploy-policy";
import { STACK_OUTPUT_NAMES, STACK_OUTPUTS, type StackOutputDeclaration } from "../infra/stack-outputs";
import { FORMER_TASK_TOKEN_FUNCTION_TYPES, TASK_TOKEN_FUNCTION_TYPE } from "../infra/task-token-function";
import { RegistrationRecorder } from "./support/registrations";

const T = {
    queue: "aws:sqs/queue:Queue",
    redriveAllow: "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
    topic: "aws:sns/topic:Topic",
    key: "aws:kms/key:Key",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    stateMachine: "aws:sfn/stateMachine:StateMachine",
    function: "aws:lambda/function:Function",
    mapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
} as const;

/**
 * The logical names of the resources the tests look at (each is part of the resource's URN:
 * renaming one replaces the resource in every deployed stack).
 */
const NAMES = {
    stateMachine: "callback-workflow-state-machine",
    function: "callback-callback-function",
    redriveAllow: "callback-tasks-dlq-redrive-allow",
    key: "callback-alarms-key",
    mapping: "callback-callback-trigger",
} as const;

/**
 * The published stack outputs: the contract other projects' StackReferences rely on. Written out
 * here, not taken from infra/stack-outputs.ts, on purpose: a test that read the names from the
 * declaration would pass a rename made there.
 */
const OUTPUTS = [
    "callbackFunctionArn",
    "callbackFunctionLogGroupName",
    "callbackFunctionName",
    "deadLetterQueueArn",
    "deadLetterQueueUrl",
    "heartbeatSeconds",
    "operationsTopicArn",
    "queueArn",
    "queueUrl",
    "stateMachineArn",
    "stateMachineLogGroupName",
    "stateMachineName",
    "taskTimeoutSeconds",
    "topicArn",
];

const input = <T>(resource: RegisteredResource, key: string) => resource.inputs[key] as T;
const json = (resource: RegisteredResource, key: string) => JSON.parse(input<string>(resource, key)) as unknown;

describe("callback-pattern stack (Pulumi mocks)", () => {
    let outputs: ProgramOutputs;
    let stack: MockRecorder;
    let values: Record<string, string>;
    let registrations: RegistrationRecorder;

    // What the program registers and derives from the queue, topic, function and state machine.
    let taskQueue: RegisteredResource;
    let deadLetterQueue: RegisteredResource;
    let topic: RegisteredResource;
    let machine: RegisteredResource;
    let fn: RegisteredResource;
    const arnOf = (r: RegisteredResource) => {
        const arns: Record<string, (name: string) => string> = {
            [T.queue]: (n) => `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${n}`,
            [T.topic]: (n) => `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${n}`,
            [T.stateMachine]: (n) => `arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:${n}`,
            [T.function]: (n) => `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${n}`,
            [T.logGroup]: (n) => `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${n}`,
        };
        return arns[r.type](r.physicalName);
    };
    const urlOf = (r: RegisteredResource) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${r.physicalName}`;

    before(async () => {
        registrations = new RegistrationRecorder();
        ({ outputs, recorder: stack } = await runProgram({ tags: JSON.stringify({ team: "platform" }) }, "staging", registrations));
        values = Object.fromEntries(await Promise.all(Object.entries(outputs).map(async ([k, v]) => [k, await valueOf(v)])));
        const queues = stack.ofType(T.queue);
        taskQueue = queues.find((q) => q.name.endsWith("-queue"))!;
        deadLetterQueue = queues.find((q) => q.name.endsWith("-dlq"))!;
        topic = stack.named("callback-notifications-topic");
        machine = stack.named(NAMES.stateMachine, T.stateMachine);
        fn = stack.named(NAMES.function, T.function);
    });

    describe("shape", () => {
        it("registers exactly the resources of the pattern, under one top-level component", () => {
            const counts: Record<string, number> = {};
            for (const r of stack.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
            assert.deepEqual(counts, {
                [CALLBACK_PATTERN_TYPE]: 1,
                "callback-pattern:sqs:CallbackQueue": 1,
                "callback-pattern:sns:NotificationTopic": 1,
                "callback-pattern:sfn:CallbackStateMachine": 1,
                [TASK_TOKEN_FUNCTION_TYPE]: 1,
                "callback-pattern:cloudwatch:CallbackAlarms": 1,
                "callback-pattern:sqs:TaskQueueAccess": 1,
                [T.queue]: 2,
                [T.redriveAllow]: 1,
                [T.queuePolicy]: 2,
                [T.topic]: 2,
                [T.key]: 1,
                [T.alarm]: 7,
                [T.role]: 2,
                [T.rolePolicy]: 2,
                [T.logGroup]: 2,
                [T.stateMachine]: 1,
                [T.function]: 1,
                [T.mapping]: 1,
            });
            for (const r of stack.resources) {
                if (r.type === CALLBACK_PATTERN_TYPE) continue;
                assert.ok(r.parent !== undefined, `${r.name} has no parent`);
                assert.ok(r.name.startsWith(`${r.parent}-`), `${r.name} is not named after its parent ${r.parent}`);
            }
        });

        it("chooses no physical name: every AWS resource is auto-named, so stacks never collide", () => {
            for (const r of stack.resources.filter((r) => r.type.startsWith("aws:"))) {
                assert.equal(r.inputs.name, undefined, `${r.name} sets an explicit name`);
            }
            for (const group of stack.ofType(T.logGroup)) assert.equal(typeof group.inputs.namePrefix, "string");
        });

        it("makes only the invokes the mocks answer, and an unmocked invoke fails loudly", async () => {
            assert.deepEqual([...new Set(stack.invokes)].sort(), [
                "aws:index/getCallerIdentity:getCallerIdentity",
                "aws:index/getPartition:getPartition",
                "aws:index/getRegion:getRegion",
                "aws:kms/getKey:getKey",
            ]);
            // The SDK drops the mock's message on the way back; that the lookup was asked and
            // rejected is what shows that the mocks refuse what they do not know.
            await assert.rejects(aws.getAvailabilityZones());
            assert.equal(stack.invokes.at(-1), "aws:index/getAvailabilityZones:getAvailabilityZones");
        });

        it("tags every taggable resource with the user's tags and the owning stack", () => {
            const taggable = stack.resources.filter((r) =>
                [T.queue, T.topic, T.role, T.logGroup, T.stateMachine, T.function, T.mapping, T.key, T.alarm].includes(r.type as never),
            );
            assert.equal(taggable.length, 19);
            for (const r of taggable) {
                assert.deepEqual(
                    r.inputs.tags,
                    { team: "platform", "pulumi:project": "callback-pattern", "pulumi:stack": "staging" },
                    r.name,
                );
            }
        });
    });

    describe("outputs", () => {
        it("exports exactly the published outputs, which are the declared ones", () => {
            assert.deepEqual(Object.keys(outputs).sort(), OUTPUTS);
            assert.deepEqual([...STACK_OUTPUT_NAMES].sort(), OUTPUTS);
        });

        it("the component registers the same outputs as its own (registerOutputs)", () => {
            const component = registrations.registration(COMPONENT_NAME);
            assert.equal(component.type, CALLBACK_PATTERN_TYPE);
            assert.deepEqual(registrations.registeredOutputs.get(component.urn)?.sort(), OUTPUTS);
        });

        it("each output is the value of the resource it names", () => {
            const groups = stack.ofType(T.logGroup);
            assert.deepEqual(values, {
                stateMachineArn: arnOf(machine),
                stateMachineName: machine.physicalName,
                stateMachineLogGroupName: groups.find((g) => g.name.startsWith("callback-workflow"))!.physicalName,
                queueUrl: urlOf(taskQueue),
                queueArn: arnOf(taskQueue),
                deadLetterQueueUrl: urlOf(deadLetterQueue),
                deadLetterQueueArn: arnOf(deadLetterQueue),
                topicArn: arnOf(topic),
                callbackFunctionName: fn.physicalName,
                callbackFunctionArn: arnOf(fn),
                callbackFunctionLogGroupName: groups.find((g) => g.name.startsWith("callback-callback"))!.physicalName,
                operationsTopicArn: arnOf(stack.named("callback-alarms-topic")),
                // The defaults: no heartbeat is 0.
                taskTimeoutSeconds: DEFAULT_SETTINGS.taskTimeoutSeconds,
                heartbeatSeconds: 0,
            });
        });

        it("each output is a secret exactly when its declaration says: when the setting it carries was set as one", async () => {
            const carried = (name: string) =>
                (STACK_OUTPUTS[name as keyof typeof STACK_OUTPUTS] as StackOutputDeclaration).secretWhenSettingIs;
            // Every setting an output carries set as a secret (a heartbeat below the task timeout).
            const config: Record<string, string> = { taskTimeoutSeconds: "900", heartbeatSeconds: "60" };
            for (const name of STACK_OUTPUT_NAMES) {
                const key = carried(name);
                if (key !== undefined) assert.ok(key in config, `this test sets no value for ${key}`);
            }
            const { outputs: secretRun } = await runProgram(config, "staging", undefined, undefined, Object.keys(config));
            for (const name of STACK_OUTPUT_NAMES) {
                assert.equal(await pulumi.isSecret(secretRun[name]), carried(name) !== undefined, `${name}, its setting a secret`);
                assert.equal(await pulumi.isSecret(outputs[name]), false, `${name}, no setting a secret`);
            }
        });
    });

    describe("state machine", () => {
        it("is a Standard workflow running the definition wired to this stack's queue and topic", () => {
            assert.equal(machine.inputs.type, "STANDARD");
            const definition = json(machine, "definition");
            assert.deepEqual(
                definition,
                buildCallbackDefinition({
                    partition: "aws",
                    queueUrl: urlOf(taskQueue),
                    topicArn: arnOf(topic),
                    taskTimeoutSeconds: DEFAULT_SETTINGS.taskTimeoutSeconds,
                }),
            );
            const result = validate(definition);
            assert.ok(result.isValid, result.errorsText());
        });

        it("logs errors without execution data to its own log group, and traces with X-Ray", () => {
            const group = stack.named("callback-workflow-logs");
            assert.match(group.physicalName, /^\/aws\/vendedlogs\/states\//);
            assert.deepEqual(machine.inputs.loggingConfiguration, {
                logDestination: `${arnOf(group)}:*`,
                level: DEFAULT_SETTINGS.logLevel,
                includeExecutionData: DEFAULT_SETTINGS.includeExecutionData,
            });
            assert.deepEqual(machine.inputs.tracingConfiguration, { enabled: true });
        });

        it("runs as its own role, trusted by Step Functions for this account's state machines, and is created after the role's policy", () => {
            const role = stack.named("callback-workflow-role");
            assert.equal(machine.inputs.roleArn, `arn:aws:iam::${ACCOUNT_ID}:role/${role.physicalName}`);
            assert.deepEqual(
                json(role, "assumeRolePolicy"),
                stateMachineTrustPolicy({ accountId: ACCOUNT_ID, region: REGION, partition: "aws" }),
            );
            const policy = stack.named("callback-workflow-policy");
            assert.equal(policy.inputs.role, role.physicalName);
            assert.deepEqual(
                json(policy, "policy"),
                stateMachinePolicy({
                    queueArn: arnOf(taskQueue),
                    topicArn: arnOf(topic),
                    topicKeyArn: SNS_KEY_ARN,
                    region: REGION,
                    dnsSuffix: "amazonaws.com",
                }),
            );
            assert.ok(machine.dependencies.includes("callback-workflow-policy"));
        });
    });

    describe("queues", () => {
        it("encrypts both queues and dead-letters after maxReceiveCount receives", () => {
            for (const q of [taskQueue, deadLetterQueue]) assert.equal(q.inputs.sqsManagedSseEnabled, true, q.name);
            assert.deepEqual(json(taskQueue, "redrivePolicy"), {
                deadLetterTargetArn: arnOf(deadLetterQueue),
                maxReceiveCount: DEFAULT_SETTINGS.maxReceiveCount,
            });
            assert.equal(deadLetterQueue.inputs.messageRetentionSeconds, 14 * 24 * 3600);
            assert.ok(input<number>(taskQueue, "messageRetentionSeconds") < input<number>(deadLetterQueue, "messageRetentionSeconds"));
        });

        it("lets only the task queue redrive into the dead-letter queue", () => {
            const allow = stack.named(NAMES.redriveAllow, T.redriveAllow);
            assert.equal(allow.inputs.queueUrl, urlOf(deadLetterQueue));
            assert.deepEqual(json(allow, "redriveAllowPolicy"), { redrivePermission: "byQueue", sourceQueueArns: [arnOf(taskQueue)] });
        });

        it("let only the state machine's role send tasks, and nobody send to the dead-letter queue", () => {
            const role = stack.named("callback-workflow-role");
            const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/${role.physicalName}`;
            const tasks = stack.named("callback-tasks-access-queue-policy");
            assert.equal(tasks.inputs.queueUrl, urlOf(taskQueue));
            assert.deepEqual(json(tasks, "policy"), taskQueuePolicy({ queueArn: arnOf(taskQueue), senderRoleArn: roleArn }));
            const deadLetters = stack.named("callback-tasks-access-dlq-policy");
            assert.equal(deadLetters.inputs.queueUrl, urlOf(deadLetterQueue));
            assert.deepEqual(
                json(deadLetters, "policy"),
                deadLetterQueuePolicy({ deadLetterQueueArn: arnOf(deadLetterQueue), queueArn: arnOf(taskQueue) }),
            );
        });

        it("keeps a message invisible for 6 × the function timeout + the batching window", () => {
            assert.equal(
                taskQueue.inputs.visibilityTimeoutSeconds,
                6 * DEFAULT_SETTINGS.functionTimeoutSeconds + DEFAULT_SETTINGS.maxBatchingWindowSeconds,
            );
        });
    });

    describe("topic", () => {
        it("is encrypted with the AWS managed SNS key and has no subscription unless configured", () => {
            assert.equal(topic.inputs.kmsMasterKeyId, "alias/aws/sns");
            assert.equal(stack.ofType(T.subscription).length, 0);
        });
    });

    describe("alarms", () => {
        it("notify an operations topic encrypted with a rotating customer managed key that admits CloudWatch", () => {
            const key = stack.named(NAMES.key, T.key);
            assert.equal(key.inputs.enableKeyRotation, true);
            assert.deepEqual(json(key, "policy"), operationsKeyPolicy(ACCOUNT_ID, "aws"));
            // What CloudWatch needs to publish to an encrypted topic, and nothing more.
            const statements = (json(key, "policy") as { Statement: { Principal: unknown; Action: string[] }[] }).Statement;
            assert.deepEqual(
                statements.filter((s) => JSON.stringify(s.Principal).includes("cloudwatch")).map((s) => [s.Principal, s.Action]),
                [[{ Service: "cloudwatch.amazonaws.com" }, ["kms:GenerateDataKey*", "kms:Decrypt"]]],
            );
            const ops = stack.named("callback-alarms-topic");
            assert.equal(ops.inputs.kmsMasterKeyId, key.state.arn);
            assert.equal(stack.ofType(T.subscription).length, 0, "no alarm email configured, no subscription");
        });

        it("watch dead letters, failed, timed-out and aborted executions, function errors and throttles, and the oldest message's age", () => {
            const alarms = stack.ofType(T.alarm);
            const opsArn = arnOf(stack.named("callback-alarms-topic"));
            const watched = Object.fromEntries(
                alarms.map((a) => [
                    a.name.replace("callback-alarms-staging-", ""),
                    [a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions, a.inputs.statistic, a.inputs.threshold],
                ]),
            );
            assert.deepEqual(watched, {
                "dead-letters": [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    { QueueName: deadLetterQueue.physicalName },
                    "Maximum",
                    1,
                ],
                "executions-failed": ["AWS/States", "ExecutionsFailed", { StateMachineArn: arnOf(machine) }, "Sum", 1],
                "executions-timed-out": ["AWS/States", "ExecutionsTimedOut", { StateMachineArn: arnOf(machine) }, "Sum", 1],
                "executions-aborted": ["AWS/States", "ExecutionsAborted", { StateMachineArn: arnOf(machine) }, "Sum", 1],
                "function-errors": ["AWS/Lambda", "Errors", { FunctionName: fn.physicalName }, "Sum", 1],
                "function-throttles": ["AWS/Lambda", "Throttles", { FunctionName: fn.physicalName }, "Sum", 1],
                "oldest-message-age": [
                    "AWS/SQS",
                    "ApproximateAgeOfOldestMessage",
                    { QueueName: taskQueue.physicalName },
                    "Maximum",
                    maxMessageAgeSeconds(DEFAULT_SETTINGS.taskTimeoutSeconds),
                ],
            });
            for (const alarm of alarms) {
                assert.ok(alarm.name.startsWith("callback-alarms-staging-"), `${alarm.name} is not named after the stack`);
                assert.deepEqual(alarm.inputs.alarmActions, [opsArn]);
                assert.deepEqual(alarm.inputs.okActions, [opsArn]);
                assert.equal(alarm.inputs.comparisonOperator, "GreaterThanOrEqualToThreshold");
                assert.equal(alarm.inputs.treatMissingData, "notBreaching");
                assert.match(String(alarm.inputs.alarmDescription), /\(callback-pattern stack staging\)$/);
            }
        });
    });

    describe("callback function", () => {
        it("runs the bundled archive on Node.js 22, arm64, with the archive's own SHA-256", async () => {
            assert.equal(fn.inputs.runtime, "nodejs22.x");
            assert.deepEqual(fn.inputs.architectures, ["arm64"]);
            assert.equal(fn.inputs.handler, "index.handler");
            const code = fn.inputs.code as { path: Promise<string> | string };
            const archive = await code.path;
            assert.equal(archive, CALLBACK_FUNCTION_ARCHIVE);
            // What Lambda will report as CodeSha256 for the uploaded file.
            assert.equal(fn.inputs.codeSha256, createHash("sha256").update(fs.readFileSync(archive)).digest("base64"));
            assert.equal(fn.inputs.sourceCodeHash, undefined);
            assert.equal(fn.inputs.timeout, DEFAULT_SETTINGS.functionTimeoutSeconds);
            assert.equal(fn.inputs.memorySize, DEFAULT_SETTINGS.functionMemoryMb);
            // The function answers only records of the task queue.
            const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
            assert.equal(variables[FUNCTION_ENVIRONMENT.taskQueueArn], arnOf(taskQueue));
            // No HeartbeatSeconds in this stack: the function sends no heartbeats.
            assert.equal(variables[FUNCTION_ENVIRONMENT.heartbeatSeconds], undefined);
        });

        it("logs JSON to a log group the stack creates, with the configured retention", () => {
            const group = stack.named("callback-callback-logs");
            assert.equal((fn.inputs.loggingConfig as { logGroup: string }).logGroup, group.physicalName);
            assert.equal((fn.inputs.loggingConfig as { logFormat: string }).logFormat, "JSON");
            // INFO keeps the platform's START, END and REPORT lines (duration, memory, timeouts).
            assert.equal((fn.inputs.loggingConfig as { systemLogLevel: string }).systemLogLevel, "INFO");
            for (const g of stack.ofType(T.logGroup)) assert.equal(g.inputs.retentionInDays, DEFAULT_SETTINGS.logRetentionDays, g.name);
        });

        it("runs as its own role, trusted by Lambda, scoped to the queue, the state machine and its logs", () => {
            const role = stack.named("callback-callback-role");
            assert.equal(fn.inputs.role, `arn:aws:iam::${ACCOUNT_ID}:role/${role.physicalName}`);
            assert.deepEqual(json(role, "assumeRolePolicy"), functionTrustPolicy());
            const policy = stack.named("callback-callback-policy");
            assert.equal(policy.inputs.role, role.physicalName);
            assert.deepEqual(
                json(policy, "policy"),
                functionPolicy({
                    queueArn: arnOf(taskQueue),
                    stateMachineArn: arnOf(machine),
                    logGroupArn: arnOf(stack.named("callback-callback-logs")),
                }),
            );
        });

        it("keeps the URNs it had as CallbackFunction: its former type is its alias, from which its children's follow", async () => {
            const component = registrations.registration(`${COMPONENT_NAME}-callback`);
            assert.equal(component.type, TASK_TOKEN_FUNCTION_TYPE);
            // Same name, parent, stack and project: only the type was renamed.
            assert.deepEqual(
                component.aliases,
                FORMER_TASK_TOKEN_FUNCTION_TYPES.map((type) => ({
                    name: "",
                    type,
                    stack: "",
                    project: "",
                    parentUrn: component.parentUrn,
                    noParent: false,
                })),
            );
            const children = registrations.registrations.filter((r) => r.parentUrn === component.urn);
            assert.deepEqual(children.map((c) => c.name).sort(), [
                NAMES.function,
                "callback-callback-logs",
                "callback-callback-policy",
                "callback-callback-role",
                NAMES.mapping,
            ]);
            // No grandchildren: every resource under the component is one of these.
            for (const r of registrations.registrations.filter((r) => r.urn.includes(`$${TASK_TOKEN_FUNCTION_TYPE}$`)))
                assert.equal(r.parentUrn, component.urn, r.name);

            // The URNs as the engine makes them, each type prefixed with all its ancestors' types
            // (the mocks' URNs keep only the parent's).
            const urnOf = (name: string, type: string, parentUrn: string) => valueOf(pulumi.createUrn(name, type, parentUrn));
            assert.equal(component.parentUrn, registrations.registration(COMPONENT_NAME).urn);
            const componentUrn = await urnOf(component.name, component.type, component.parentUrn);
            for (const formerType of FORMER_TASK_TOKEN_FUNCTION_TYPES) {
                // The URNs a stack deployed before the rename holds: the former type in the component's place.
                const former = (urn: string) => urn.replace(`$${TASK_TOKEN_FUNCTION_TYPE}`, `$${formerType}`);
                assert.equal(await urnOf(component.name, formerType, component.parentUrn), former(componentUrn));
                // What the SDK derives for each child from its parent's alias (what engines without
                // alias specs are sent; newer engines derive the same themselves: not run here).
                const parent = { __aliases: [pulumi.output(former(componentUrn))] } as unknown as pulumi.Resource;
                for (const child of children) {
                    const inherited = await Promise.all(pulumi.allAliases([], child.name, child.type, parent, component.name).map(valueOf));
                    assert.deepEqual(inherited, [former(await urnOf(child.name, child.type, componentUrn))], child.name);
                }
            }
        });

        it("is fed by the task queue with partial batch responses, once its role can read the queue", () => {
            const mapping = stack.named(NAMES.mapping, T.mapping);
            assert.equal(mapping.inputs.eventSourceArn, arnOf(taskQueue));
            assert.equal(mapping.inputs.functionName, arnOf(fn));
            assert.deepEqual(mapping.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
            assert.equal(mapping.inputs.enabled, true);
            assert.equal(mapping.inputs.batchSize, DEFAULT_SETTINGS.batchSize);
            assert.equal(mapping.inputs.maximumBatchingWindowInSeconds, DEFAULT_SETTINGS.maxBatchingWindowSeconds);
            assert.ok(mapping.dependencies.includes("callback-callback-policy"), "the mapping does not wait for the role policy");
        });
    });
});

describe("callback-pattern stack configuration (Pulumi mocks)", () => {
    it("applies every setting to the resources, and prints the settings' warnings", async () => {
        const warnings: string[] = [];
        const warn = pulumi.log.warn;
        pulumi.log.warn = async (message: string) => void warnings.push(message);
        const { recorder, outputs } = await runProgram({
            taskTimeoutSeconds: "900",
            heartbeatSeconds: "120",
            functionTimeoutSeconds: "60",
            functionMemoryMb: "512",
            batchSize: "50",
            maxBatchingWindowSeconds: "10",
            maxReceiveCount: "3",
            notificationEmail: "ops@example.com",
            alarmEmail: "oncall@example.com",
            logLevel: "ALL",
            includeExecutionData: "true",
            logRetentionDays: "7",
        }).finally(() => (pulumi.log.warn = warn));
        // A heartbeat of 120 s expires before a failed message returns (6 × 60 + 10 = 370 s); execution data holds task tokens.
        assert.equal(warnings.length, 2);
        assert.match(warnings[0], /^callback-pattern:heartbeatSeconds \(120\) is not longer than the 370 s/);
        assert.match(
            warnings[1],
            /^callback-pattern:includeExecutionData is true: the state machine's logs carry execution data: at logLevel ALL, every task token/,
        );
        const waitState = (
            JSON.parse(recorder.named(NAMES.stateMachine, T.stateMachine).inputs.definition as string) as {
                States: Record<string, { TimeoutSeconds?: number; HeartbeatSeconds?: number }>;
            }
        ).States["Start Task And Wait For Callback"];
        assert.equal(waitState.TimeoutSeconds, 900);
        assert.equal(waitState.HeartbeatSeconds, 120);
        // The outputs an external process reads its deadlines from.
        assert.equal(await valueOf(outputs.taskTimeoutSeconds), 900);
        assert.equal(await valueOf(outputs.heartbeatSeconds), 120);
        const fn = recorder.named(NAMES.function, T.function);
        assert.equal(fn.inputs.timeout, 60);
        assert.equal(fn.inputs.memorySize, 512);
        // The function reads the state machine's HeartbeatSeconds as the stack sets it.
        const environment = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        assert.equal(functionSettings(environment).heartbeatSeconds, waitState.HeartbeatSeconds);
        const mapping = recorder.named(NAMES.mapping, T.mapping);
        assert.equal(mapping.inputs.batchSize, 50);
        assert.equal(mapping.inputs.maximumBatchingWindowInSeconds, 10);
        const queue = recorder.ofType(T.queue).find((q) => q.name.endsWith("-queue"))!;
        assert.equal(queue.inputs.visibilityTimeoutSeconds, 6 * 60 + 10);
        assert.equal((JSON.parse(queue.inputs.redrivePolicy as string) as { maxReceiveCount: number }).maxReceiveCount, 3);
        const subscription = recorder.named("callback-notifications-email");
        assert.equal(subscription.inputs.protocol, "email");
        assert.equal(subscription.inputs.endpoint, "ops@example.com");
        const alarmSubscription = recorder.named("callback-alarms-email");
        assert.equal(alarmSubscription.inputs.endpoint, "oncall@example.com");
        assert.equal(
            alarmSubscription.inputs.topic,
            `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${recorder.named("callback-alarms-topic").physicalName}`,
        );
        assert.equal(
            recorder.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.name.endsWith("oldest-message-age"))?.inputs.threshold,
            901,
        );
        assert.equal(
            subscription.inputs.topic,
            `arn:aws:sns:${REGION}:${ACCOUNT_ID}:${recorder.named("callback-notifications-topic").physicalName}`,
        );
        assert.deepEqual(recorder.named(NAMES.stateMachine, T.stateMachine).inputs.loggingConfiguration, {
            logDestination: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${recorder.named("callback-workflow-logs").physicalName}:*`,
            level: "ALL",
            includeExecutionData: true,
        });
        for (const g of recorder.ofType(T.logGroup)) assert.equal(g.inputs.retentionInDays, 7);
    });

    it("stops on invalid config before registering anything, with a message naming the key", async () => {
        const recorder = new MockRecorder();
        const timeout = DEFAULT_SETTINGS.taskTimeoutSeconds;
        const heartbeat = String(timeout * 2);
        await assert.rejects(runProgram({ heartbeatSeconds: heartbeat, logLevel: "VERBOSE" }, "test", recorder), (error: unknown) => {
            assert.ok(pulumi.RunError.isInstance(error), `expected a RunError, got ${String(error)}`);
            const message = (error as Error).message;
            assert.ok(
                message.includes(
                    `callback-pattern:heartbeatSeconds is "${heartbeat}": must be smaller than callback-pattern:taskTimeoutSeconds (${timeout})`,
                ),
                message,
            );
            assert.ok(message.includes(`callback-pattern:logLevel is "VERBOSE": must be one of ${LOG_LEVELS.join(", ")}`), message);
            return true;
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
        assert.deepEqual(recorder.invokes, []);
    });

    it("builds the same Lambda archive hash on every run, in any process, at any time", async () => {
        const first = (await runProgram()).recorder.named(NAMES.function, T.function).inputs.codeSha256;
        const second = (await runProgram()).recorder.named(NAMES.function, T.function).inputs.codeSha256;
        assert.equal(typeof first, "string");
        assert.equal(first, second);
        assert.equal(first, buildArtifactElsewhere());
    });

    it("sets the permissions boundary on both roles when configured, and none otherwise", async () => {
        const boundary = "arn:aws:iam::123456789012:policy/deploy-boundary";
        const { recorder } = await runProgram({ permissionsBoundaryArn: boundary });
        assert.deepEqual(
            recorder
                .ofType(T.role)
                .map((r) => [r.name, r.inputs.permissionsBoundary])
                .sort(),
            [
                ["callback-callback-role", boundary],
                ["callback-workflow-role", boundary],
            ],
        );
        const plain = (await runProgram()).recorder;
        assert.deepEqual(
            plain.ofType(T.role).map((r) => r.inputs.permissionsBoundary),
            [undefined, undefined],
        );
    });

    it("with as many user tags as the config takes, no resource carries more tags than AWS allows", async () => {
        const tags = Object.fromEntries(Array.from({ length: MAX_USER_TAGS }, (_, i) => [`t${i}`, "v"]));
        const { recorder } = await runProgram({ tags: JSON.stringify(tags) }, "prod");
        const tagged = recorder.resources.filter((r) => typeof r.inputs.tags === "object" && r.inputs.tags !== null);
        assert.ok(tagged.length > 0);
        for (const r of tagged) {
            const count = Object.keys(r.inputs.tags as object).length;
            assert.ok(count > MAX_USER_TAGS, `${r.name} carries the user's tags and the stack's own`);
            assert.ok(count <= AWS_TAG_LIMITS.perResource, `${r.name} carries ${count} tags`);
        }
    });

    it("every tag the config accepts reaches the resources, names like an object's own properties included", async () => {
        // Every name an object answers without having it: the SDK copies a map by assigning each
        // name (__proto__ would set the copy's prototype, and the tag vanish) and writes inputs into
        // template strings (a map with its own toString cannot be converted, and registration fails).
        const candidates = Object.getOwnPropertyNames(Object.prototype);
        const accepted = candidates.filter((name) => {
            try {
                parseSettings(PROJECT, { tags: JSON.stringify({ [name]: "v" }) });
                return true;
            } catch (error) {
                // A name the config refuses is named in its message.
                assert.ok(error instanceof ConfigError && error.message.includes(JSON.stringify(name)), String(error));
                return false;
            }
        });
        assert.ok(accepted.length > 0);
        const tags = JSON.stringify(Object.fromEntries(accepted.map((name) => [name, "v"])));
        const { recorder } = await runProgram({ tags }, "prod");
        for (const name of accepted) {
            const carried = recorder.named(NAMES.function, T.function).inputs.tags as Record<string, string>;
            assert.ok(
                Object.hasOwn(carried, name) && carried[name] === "v",
                `the tag ${JSON.stringify(name)} was accepted but not carried`,
            );
        }
    });

    it("keeps the stack's own tags when the user's tags name the same keys", async () => {
        const { recorder } = await runProgram({ tags: JSON.stringify({ "pulumi:stack": "other", owner: "me" }) }, "prod");
        assert.deepEqual(recorder.named(NAMES.function, T.function).inputs.tags, {
            owner: "me",
            "pulumi:project": "callback-pattern",
            "pulumi:stack": "prod",
        });
    });
});
