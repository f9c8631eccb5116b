/**
 * The rules this stack promises, as pure checks of resource properties: each returns the
 * violations it finds (empty when the resource or stack complies). `pack.ts` turns them into a
 * CrossGuard policy pack that `pulumi preview --policy-pack policy` enforces.
 *
 * A property that is not known yet (an ARN during the preview of a new stack) is skipped, not
 * reported: what can be checked is checked, and the rest is checked again on the next preview.
 */

/** A resource as a policy sees it: its type token, name and properties. */
export interface CheckedResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

export interface ResourceRule {
    name: string;
    description: string;
    /** The resource types the rule looks at. */
    types: string[];
    /** The violations of a resource of one of `types` (its type is given for rules that look at several). */
    check(props: Record<string, unknown>, config: RuleConfig, type: string): string[];
}

export interface StackRule {
    name: string;
    description: string;
    check(resources: CheckedResource[], config: RuleConfig): string[];
}

/** Settings the rules take from the pack's configuration. */
export interface RuleConfig {
    /** Lambda runtimes accepted as supported Node.js runtimes. */
    nodejsRuntimes: string[];
}

export const DEFAULT_RULE_CONFIG: RuleConfig = { nodejsRuntimes: ["nodejs22.x", "nodejs24.x"] };

export const TYPES = {
    queue: "aws:sqs/queue:Queue",
    topic: "aws:sns/topic:Topic",
    function: "aws:lambda/function:Function",
    eventSourceMapping: "aws:lambda/eventSourceMapping:EventSourceMapping",
    stateMachine: "aws:sfn/stateMachine:StateMachine",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    policy: "aws:iam/policy:Policy",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
} as const;

/** One year: a Task's default TimeoutSeconds, and the longest a Standard execution may run. */
export const ONE_YEAR_SECONDS = 31_536_000;

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
const obj = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** A JSON document given as text or as an object (IAM policies, redrive policies, definitions). */
function document(value: unknown): Record<string, unknown> | undefined {
    if (typeof value === "string") {
        try {
            return obj(JSON.parse(value));
        } catch {
            return undefined;
        }
    }
    return obj(value);
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

// ---------------------------------------------------------------------------------------------
// Resource rules

const queueEncrypted: ResourceRule = {
    name: "sqs-queue-encrypted",
    description: "SQS queues are encrypted at rest (SSE-SQS or a KMS key).",
    types: [TYPES.queue],
    check: (props) =>
        props.sqsManagedSseEnabled === true || str(props.kmsMasterKeyId) !== undefined
            ? []
            : ["the queue is not encrypted: set sqsManagedSseEnabled: true or kmsMasterKeyId"],
};

const topicEncrypted: ResourceRule = {
    name: "sns-topic-kms-encrypted",
    description: "SNS topics are encrypted with a KMS key.",
    types: [TYPES.topic],
    check: (props) => (str(props.kmsMasterKeyId) !== undefined ? [] : ["the topic is not encrypted: set kmsMasterKeyId"]),
};

const lambdaRuntime: ResourceRule = {
    name: "lambda-supported-nodejs-runtime",
    description: "Lambda functions run on a supported Node.js runtime.",
    types: [TYPES.function],
    check: (props, config) => {
        const runtime = str(props.runtime);
        return runtime !== undefined && config.nodejsRuntimes.includes(runtime)
            ? []
            : [
                  `runtime ${JSON.stringify(props.runtime ?? null)} is not one of the supported Node.js runtimes ${config.nodejsRuntimes.join(", ")}`,
              ];
    },
};

const stateMachineObservable: ResourceRule = {
    name: "sfn-logging-and-tracing",
    description: "State machines log to CloudWatch Logs and trace with X-Ray.",
    types: [TYPES.stateMachine],
    check: (props) => {
        const problems: string[] = [];
        const logging = obj(props.loggingConfiguration);
        const level = str(logging?.level) ?? "OFF";
        if (level === "OFF") problems.push("logging is off: set loggingConfiguration.level to ALL, ERROR or FATAL");
        else if (logging?.logDestination === "") problems.push("logging has no logDestination");
        if (obj(props.tracingConfiguration)?.enabled !== true)
            problems.push("X-Ray tracing is off: set tracingConfiguration.enabled: true");
        return problems;
    },
};

/** Every Task state of a definition, nested ones (Parallel branches, Map processors) included. */
export function taskStates(definition: Record<string, unknown>): { name: string; state: Record<string, unknown> }[] {
    const found: { name: string; state: Record<string, unknown> }[] = [];
    for (const [name, value] of Object.entries(obj(definition.States) ?? {})) {
        const state = obj(value);
        if (state === undefined) continue;
        if (state.Type === "Task") found.push({ name, state });
        for (const branch of list(state.Branches)) if (obj(branch)) found.push(...taskStates(obj(branch)!));
        for (const nested of [state.Iterator, state.ItemProcessor]) if (obj(nested)) found.push(...taskStates(obj(nested)!));
    }
    return found;
}

const isCallbackTask = (state: Record<string, unknown>) => str(state.Resource)?.endsWith(".waitForTaskToken") === true;

const callbackNeedsStandard: ResourceRule = {
    name: "sfn-callback-standard",
    description: "A state machine with .waitForTaskToken tasks is a STANDARD workflow (Express workflows cannot wait for a callback).",
    types: [TYPES.stateMachine],
    check: (props) => {
        const definition = document(props.definition);
        if (definition === undefined || !taskStates(definition).some((t) => isCallbackTask(t.state))) return [];
        const type = str(props.type) ?? "STANDARD";
        return type === "STANDARD" ? [] : [`the definition waits for task tokens, so the type must be STANDARD, not ${type}`];
    },
};

const callbackTimeout: ResourceRule = {
    name: "sfn-callback-timeout",
    description: "Every .waitForTaskToken task has a TimeoutSeconds below the one-year default, so that no execution waits forever.",
    types: [TYPES.stateMachine],
    check: (props) => {
        const definition = document(props.definition);
        if (definition === undefined) return [];
        return taskStates(definition)
            .filter((t) => isCallbackTask(t.state))
            .flatMap(({ name, state }) => {
                const timeout = num(state.TimeoutSeconds);
                if (timeout === undefined) return [`task "${name}" waits for a callback without TimeoutSeconds (the default is one year)`];
                return timeout < ONE_YEAR_SECONDS
                    ? []
                    : [`task "${name}" has TimeoutSeconds ${timeout}; it must be below ${ONE_YEAR_SECONDS} (one year)`];
            });
    },
};

/** The IAM policy documents a resource holds. */
function policyDocuments(type: string, props: Record<string, unknown>): Record<string, unknown>[] {
    if (type === TYPES.role)
        return list(props.inlinePolicies)
            .map((p) => document(obj(p)?.policy))
            .filter((d) => d !== undefined);
    const single = document(props.policy);
    return single === undefined ? [] : [single];
}

const wildcardActions: ResourceRule = {
    name: "iam-no-wildcard-actions",
    description: 'IAM policies grant no "*" action, no "service:*" action, and no NotAction.',
    types: [TYPES.role, TYPES.rolePolicy, TYPES.policy, TYPES.userPolicy, TYPES.groupPolicy],
    check: (props, _config, type) =>
        policyDocuments(type, props).flatMap((policy) =>
            list(policy.Statement).flatMap((value, index) => {
                const statement = obj(value) ?? {};
                const sid = str(statement.Sid) ?? `#${index + 1}`;
                const problems: string[] = [];
                if (statement.NotAction !== undefined)
                    problems.push(`statement ${sid} uses NotAction, which grants everything it does not name`);
                for (const action of list(statement.Action)) {
                    if (typeof action === "string" && (action === "*" || /^[^:]+:\*$/.test(action)))
                        problems.push(`statement ${sid} grants the wildcard action ${action}`);
                }
                return problems;
            }),
        ),
};

const trustSingleService: ResourceRule = {
    name: "iam-trust-single-service",
    description: "Role trust policies name a single AWS service principal.",
    types: [TYPES.role],
    check: (props) => {
        const trust = document(props.assumeRolePolicy);
        if (trust === undefined) return props.assumeRolePolicy === undefined ? [] : ["the trust policy is not a JSON document"];
        return list(trust.Statement).flatMap((value, index) => {
            const statement = obj(value) ?? {};
            const sid = str(statement.Sid) ?? `#${index + 1}`;
            const principal = obj(statement.Principal);
            const services = list(principal?.Service);
            const others = Object.keys(principal ?? {}).filter((key) => key !== "Service");
            if (principal === undefined || others.length > 0 || services.length !== 1 || typeof services[0] !== "string") {
                return [
                    `statement ${sid} must trust exactly one service principal; it names ${JSON.stringify(statement.Principal ?? null)}`,
                ];
            }
            return [];
        });
    },
};

const isSqsArn = (value: unknown) => /^arn:aws[\w-]*:sqs:/.test(String(value ?? ""));

const mappingReportsFailures: ResourceRule = {
    name: "sqs-event-source-reports-batch-item-failures",
    description: "Every SQS event source mapping reports batch item failures, so that one failed record does not return its whole batch.",
    types: [TYPES.eventSourceMapping],
    check: (props) => {
        if (props.eventSourceArn !== undefined && !isSqsArn(props.eventSourceArn)) return [];
        return list(props.functionResponseTypes).includes("ReportBatchItemFailures")
            ? []
            : ['the mapping does not report batch item failures: set functionResponseTypes: ["ReportBatchItemFailures"]'];
    },
};

export const RESOURCE_RULES: ResourceRule[] = [
    queueEncrypted,
    topicEncrypted,
    lambdaRuntime,
    stateMachineObservable,
    callbackNeedsStandard,
    callbackTimeout,
    wildcardActions,
    trustSingleService,
    mappingReportsFailures,
];

/** Runs one resource rule on a resource of any type (no violation for types it does not look at). */
export function checkResource(
    rule: ResourceRule,
    type: string,
    props: Record<string, unknown>,
    config: RuleConfig = DEFAULT_RULE_CONFIG,
): string[] {
    return rule.types.includes(type) ? rule.check(props, config, type) : [];
}

// ---------------------------------------------------------------------------------------------
// Stack rules

const ofType = (resources: CheckedResource[], type: string) => resources.filter((r) => r.type === type);

const queueRedrive: StackRule = {
    name: "sqs-queue-redrive",
    description: "Every SQS queue has a redrive policy to a dead-letter queue, or is itself the dead-letter queue of another.",
    check: (resources) => {
        const queues = ofType(resources, TYPES.queue);
        const targets = new Set(
            queues.map((q) => str(document(q.props.redrivePolicy)?.deadLetterTargetArn)).filter((arn) => arn !== undefined),
        );
        return queues.flatMap((queue) => {
            if (str(document(queue.props.redrivePolicy)?.deadLetterTargetArn) !== undefined) return [];
            const arn = str(queue.props.arn);
            if (arn === undefined || targets.has(arn)) return []; // unknown yet, or a dead-letter queue
            return [`queue ${queue.name} has no redrive policy and is no other queue's dead-letter queue`];
        });
    },
};

const visibilityCoversFunction: StackRule = {
    name: "sqs-visibility-timeout-covers-function",
    description:
        "A queue that feeds a Lambda function has a visibility timeout of at least 6 × the function's timeout + the batching window.",
    check: (resources) =>
        ofType(resources, TYPES.eventSourceMapping).flatMap((mapping) => {
            const queue = ofType(resources, TYPES.queue).find(
                (q) => str(q.props.arn) !== undefined && q.props.arn === mapping.props.eventSourceArn,
            );
            const target = mapping.props.functionName;
            const fn = ofType(resources, TYPES.function).find(
                (f) => target !== undefined && (f.props.arn === target || f.props.name === target),
            );
            if (queue === undefined || fn === undefined) return []; // not both in this stack, or not known yet
            const timeout = num(fn.props.timeout) ?? 3;
            const window = num(mapping.props.maximumBatchingWindowInSeconds) ?? 0;
            const visibility = num(queue.props.visibilityTimeoutSeconds) ?? 30;
            const needed = 6 * timeout + window;
            return visibility >= needed
                ? []
                : [
                      `queue ${queue.name} has a visibility timeout of ${visibility} s; feeding ${fn.name} (timeout ${timeout} s, batching window ${window} s) it needs at least ${needed} s`,
                  ];
        }),
};

const lambdaLogRetention: StackRule = {
    name: "lambda-log-retention",
    description: "Every Lambda function logs to a log group of this stack that has a retention period.",
    check: (resources) =>
        ofType(resources, TYPES.function).flatMap((fn) => {
            const named =
                str(obj(fn.props.loggingConfig)?.logGroup) ??
                (str(fn.props.name) !== undefined ? `/aws/lambda/${String(fn.props.name)}` : undefined);
            if (named === undefined) return []; // the name is not known yet
            const group = ofType(resources, TYPES.logGroup).find((g) => g.props.name === named);
            if (group === undefined)
                return [
                    `function ${fn.name} logs to ${named}, which this stack does not create (Lambda would create it without a retention)`,
                ];
            const days = num(group.props.retentionInDays) ?? 0;
            return days > 0 ? [] : [`log group ${group.name} of function ${fn.name} keeps logs forever: set retentionInDays`];
        }),
};

export const STACK_RULES: StackRule[] = [queueRedrive, visibilityCoversFunction, lambdaLogRetention];
