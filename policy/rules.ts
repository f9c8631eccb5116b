/**
 * The rules this stack promises, as pure checks of resource properties: each returns the
 * violations it finds (empty when the resource or stack complies). `pack.ts` turns them into a
 * CrossGuard policy pack that `pulumi preview --policy-pack policy` enforces.
 *
 * During a preview some values are not known yet (the ARN of a queue still to be created, and
 * anything built from it). `pack.ts` hands them over as {@link UNKNOWN}. A rule never fails on
 * one: where a value only has to be present (a redrive policy, a key), unknown counts as present;
 * where a resource has to be found (the queue an event source mapping reads), it is found through
 * the dependencies Pulumi records between properties; where the content matters and is unknown
 * (a definition built from a queue URL, a logging level, a runtime), the check waits for the next
 * preview, when it is known. Inside a known document an unknown part is read the same way: an
 * unknown Resource is not `"*"`, an unknown condition value narrows, an unknown principal is not
 * everyone, an unknown Statement holds nothing to report.
 *
 * A Deny statement only takes permissions away: no rule reports one. Every violation, of a resource
 * rule or a stack rule, starts with the resource (`role "callback-workflow-role": …`, see
 * {@link checkResource} and {@link describeResource}), then names the statement (its Sid, or its
 * 1-based position) or property at fault, and ends with the fix (`…; fix: …`).
 */

import { LOG_DELIVERY_ACTIONS, XRAY_TRACING_ACTIONS } from "./actions-without-resource";

/** A value the preview does not know yet. */
export const UNKNOWN: unique symbol = Symbol.for("callback-pattern.policy.unknown");

/** A resource as a stack rule sees it. */
export interface CheckedResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    /** For each property, the URNs of the resources its value came from. */
    propertyDependencies: Record<string, string[]>;
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
    /** AWS managed policies a role may have attached (their content cannot be checked here). */
    allowedManagedPolicyArns: string[];
    /** For each service principal, the condition keys its trust statements must restrict (confused-deputy guard). */
    trustConditionKeys: Record<string, string[]>;
    /** Customer managed policies from outside the stack that may be attached (their content cannot be checked here). */
    allowedCustomerManagedPolicyArns: string[];
    /**
     * Service principals a resource policy may admit without an `aws:SourceArn`/`aws:SourceAccount`
     * condition, each for these actions only (patterns as in IAM): services that send neither key.
     */
    serviceGrantsWithoutCondition: { service: string; actions: string[] }[];
    /** Actions that take no resource (IAM evaluates them against `"*"`): the only ones an identity policy may grant on `"*"`. */
    actionsWithoutResource: string[];
}

export const DEFAULT_RULE_CONFIG: RuleConfig = {
    nodejsRuntimes: ["nodejs22.x", "nodejs24.x"],
    allowedManagedPolicyArns: [],
    // Lambda's execution-role trust takes no such condition (Lambda sends neither key when it assumes the role).
    trustConditionKeys: { "states.amazonaws.com": ["aws:SourceAccount", "aws:SourceArn"] },
    allowedCustomerManagedPolicyArns: [],
    // The operations key admits CloudWatch without a condition on purpose: alarms publishing to a
    // topic encrypted with it. Whether CloudWatch sends aws:SourceArn/aws:SourceAccount to KMS for
    // those calls is not verified, and a condition it does not meet would silence every alarm.
    serviceGrantsWithoutCondition: [{ service: "cloudwatch.amazonaws.com", actions: ["kms:GenerateDataKey*", "kms:Decrypt"] }],
    // What the stack's own roles need on "*" (infra/iam-documents.ts): vended log delivery, reading the
    // log groups it delivers to, and X-Ray tracing.
    actionsWithoutResource: [...LOG_DELIVERY_ACTIONS, "logs:DescribeLogGroups", ...XRAY_TRACING_ACTIONS],
};

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
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
    queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
    topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
    key: "aws:kms/key:Key",
    keyPolicy: "aws:kms/keyPolicy:KeyPolicy",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
    eventBusPolicy: "aws:cloudwatch/eventBusPolicy:EventBusPolicy",
    logResourcePolicy: "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    redriveAllowPolicy: "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    permission: "aws:lambda/permission:Permission",
    functionUrl: "aws:lambda/functionUrl:FunctionUrl",
    layerVersionPermission: "aws:lambda/layerVersionPermission:LayerVersionPermission",
    userPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    groupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    rolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    userPolicyAttachmentsExclusive: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    groupPolicyAttachmentsExclusive: "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
} as const;

/** One year: a Task's default TimeoutSeconds, and the longest a Standard execution may run. */
export const ONE_YEAR_SECONDS = 31_536_000;

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
const obj = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
/** Set, or not known yet (it will be set: Pulumi only makes unknown what a resource computes). */
const present = (value: unknown) => value === UNKNOWN || (value !== undefined && value !== null && value !== "");

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

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === UNKNOWN ? [] : [value]);

// ---------------------------------------------------------------------------------------------
// Resource rules

const queueEncrypted: ResourceRule = {
    name: "sqs-queue-encrypted",
    description: "SQS queues are encrypted at rest (SSE-SQS or a KMS key).",
    types: [TYPES.queue],
    check: (props) =>
        props.sqsManagedSseEnabled === true || props.sqsManagedSseEnabled === UNKNOWN || present(props.kmsMasterKeyId)
            ? []
            : ["the queue is not encrypted; fix: set sqsManagedSseEnabled: true or kmsMasterKeyId"],
};

const topicEncrypted: ResourceRule = {
    name: "sns-topic-kms-encrypted",
    description: "SNS topics are encrypted with a KMS key.",
    types: [TYPES.topic],
    check: (props) => (present(props.kmsMasterKeyId) ? [] : ["the topic is not encrypted; fix: set kmsMasterKeyId"]),
};

const lambdaRuntime: ResourceRule = {
    name: "lambda-supported-nodejs-runtime",
    description: "Lambda functions run on a supported Node.js runtime.",
    types: [TYPES.function],
    check: (props, config) => {
        // A container image brings its own runtime; an unknown runtime waits for the next preview.
        if (props.packageType === "Image" || props.packageType === UNKNOWN || props.runtime === UNKNOWN) return [];
        const runtime = str(props.runtime);
        return runtime !== undefined && config.nodejsRuntimes.includes(runtime)
            ? []
            : [
                  `runtime ${JSON.stringify(props.runtime ?? null)} is not one of the supported Node.js runtimes ${config.nodejsRuntimes.join(", ")}; fix: set runtime to one of them`,
              ];
    },
};

const stateMachineObservable: ResourceRule = {
    name: "sfn-logging-and-tracing",
    description: "State machines log to CloudWatch Logs and trace with X-Ray.",
    types: [TYPES.stateMachine],
    check: (props) => {
        const problems: string[] = [];
        // An unknown configuration, level or flag is not "off": it waits for the next preview.
        const logging = obj(props.loggingConfiguration);
        const level = props.loggingConfiguration === UNKNOWN || logging?.level === UNKNOWN ? UNKNOWN : (str(logging?.level) ?? "OFF");
        if (level === "OFF")
            problems.push("logging is off; fix: set loggingConfiguration.level to ERROR or FATAL (or ALL, without execution data)");
        else if (level !== UNKNOWN && !present(logging?.logDestination))
            problems.push(`logging at level ${level} has no logDestination; fix: set it to a log group ARN ending in :*`);
        const tracing = props.tracingConfiguration === UNKNOWN ? UNKNOWN : obj(props.tracingConfiguration)?.enabled;
        if (tracing !== true && tracing !== UNKNOWN) problems.push("X-Ray tracing is off; fix: set tracingConfiguration.enabled: true");
        return problems;
    },
};

const noTaskTokensInLogs: ResourceRule = {
    name: "sfn-no-task-tokens-in-logs",
    description:
        "State machines do not log at level ALL with includeExecutionData: true, which writes every task token (and every state's input and output) to the log group.",
    types: [TYPES.stateMachine],
    check: (props) => {
        const logging = obj(props.loggingConfiguration);
        // Unknown values are neither "ALL" nor true: they wait for the next preview. The provider
        // takes "true" (a string) for true.
        const withData = logging?.includeExecutionData === true || String(logging?.includeExecutionData).toLowerCase() === "true";
        return logging?.level === "ALL" && withData
            ? [
                  "logging at level ALL with includeExecutionData: true writes every task token to the log group, where whoever reads it could answer the workflow; fix: set includeExecutionData: false, or level ERROR or FATAL",
              ]
            : [];
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
        return type === "STANDARD"
            ? []
            : [`the definition waits for task tokens, so the type must be STANDARD, not ${type}; fix: set type: "STANDARD"`];
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
                // A JSONata expression ("{% … %}") or a TimeoutSecondsPath is only known when the
                // execution runs: it cannot be checked here, so it is no violation.
                if (typeof state.TimeoutSeconds === "string" && /^\{%[\s\S]*%\}$/.test(state.TimeoutSeconds.trim())) return [];
                if (state.TimeoutSecondsPath !== undefined || state.TimeoutSeconds === UNKNOWN) return [];
                const timeout = num(state.TimeoutSeconds);
                if (timeout === undefined)
                    return [
                        `task "${name}" waits for a callback without TimeoutSeconds (the default is one year); fix: set TimeoutSeconds on the task`,
                    ];
                return timeout < ONE_YEAR_SECONDS
                    ? []
                    : [
                          `task "${name}" has TimeoutSeconds ${timeout}; it must be below ${ONE_YEAR_SECONDS} (one year); fix: lower TimeoutSeconds`,
                      ];
            });
    },
};

/** The IAM policy documents a resource holds. */
function policyDocuments(type: string, props: Record<string, unknown>): Record<string, unknown>[] {
    if (type === TYPES.role) {
        return list(props.inlinePolicies).flatMap((p) => {
            const policy = document(obj(p)?.policy);
            return policy === undefined ? [] : [policy];
        });
    }
    const single = document(props.policy);
    return single === undefined ? [] : [single];
}

/** A statement of a policy document, with the name messages give it: its Sid, or its 1-based position. */
interface Statement {
    label: string;
    body: Record<string, unknown>;
}

/** The statements of a document (a single statement may be given as an object rather than a list). */
function statementsOf(policy: Record<string, unknown>): Statement[] {
    return list(policy.Statement).flatMap((value, index) => {
        const body = obj(value);
        if (body === undefined) return [];
        const sid = str(body.Sid);
        return [{ label: sid !== undefined ? `statement "${sid}"` : `statement #${index + 1}`, body }];
    });
}

/**
 * The statements that grant something. A Deny only ever takes permissions away, so no rule looks at
 * one; anything that is not a Deny (a missing or misspelt Effect included) is treated as an Allow.
 */
const allowStatements = (policy: Record<string, unknown>) => statementsOf(policy).filter((s) => s.body.Effect !== "Deny");

/** The strings of an element that may be a string or a list (unknown values are left out: they cannot fail a rule). */
const strings = (value: unknown): string[] => list(value).filter((v): v is string => typeof v === "string");

const hasWildcard = (pattern: string) => /[*?]/.test(pattern);

/** Whether an IAM pattern (`*` any run of characters, `?` one) matches `value`; IAM actions are case-insensitive. */
export function iamMatches(pattern: string, value: string): boolean {
    const source = pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${source}$`, "i").test(value);
}

/** Policies AWS manages (`arn:aws:iam::aws:policy/…`): their content is not in the stack to check. */
const isAwsManaged = (arn: unknown) => typeof arn === "string" && /^arn:aws[\w-]*:iam::aws:policy\//.test(arn);

/** An AWS managed policy ARN without its partition, so that `arn:aws-cn:…` and `arn:aws:…` compare equal. */
const withoutPartition = (arn: string) => arn.replace(/^arn:[^:]*:/, "arn::");

/** The resource types that hold identity policies (what a principal may do), as opposed to resource policies. */
const IDENTITY_POLICY_TYPES = [TYPES.role, TYPES.rolePolicy, TYPES.policy, TYPES.userPolicy, TYPES.groupPolicy];

/**
 * Where a managed policy gets attached: each resource type, and the property holding the policy ARN
 * (or ARNs). `RolePoliciesExclusive` and its kin name inline policies, which the identity-policy
 * rules see where they are defined, so they are not here.
 */
export const MANAGED_POLICY_ATTACHMENTS: Record<string, string> = {
    [TYPES.role]: "managedPolicyArns",
    [TYPES.rolePolicyAttachment]: "policyArn",
    [TYPES.policyAttachment]: "policyArn",
    [TYPES.userPolicyAttachment]: "policyArn",
    [TYPES.groupPolicyAttachment]: "policyArn",
    [TYPES.rolePolicyAttachmentsExclusive]: "policyArns",
    [TYPES.userPolicyAttachmentsExclusive]: "policyArns",
    [TYPES.groupPolicyAttachmentsExclusive]: "policyArns",
};

/** What an Allow statement of an identity policy must not do, each with its fix. */
function wildcardProblems({ label, body }: Statement): string[] {
    const problems: string[] = [];
    if (body.NotAction !== undefined)
        problems.push(`${label} uses NotAction, which grants every action it does not name; fix: list the actions it needs in Action`);
    if (body.NotResource !== undefined)
        problems.push(
            `${label} uses NotResource, which grants its actions on every resource it does not name; fix: list the resources in Resource`,
        );
    for (const action of strings(body.Action).filter(hasWildcard))
        problems.push(
            `${label} grants ${action}, a wildcard action (any action it matches, today's and future ones); fix: name each action`,
        );
    return problems;
}

const wildcardActions: ResourceRule = {
    name: "iam-no-wildcard-actions",
    description:
        "IAM identity policies grant no action with a wildcard (`*`, `s3:*`, `states:Send*`, `iam:Pass?ole`), no NotAction and no NotResource (Deny statements may); AWS managed policies, whose content cannot be checked, are not attached unless allowed.",
    types: [...new Set([...IDENTITY_POLICY_TYPES, ...Object.keys(MANAGED_POLICY_ATTACHMENTS)])],
    check: (props, config, type) => {
        const key = MANAGED_POLICY_ATTACHMENTS[type];
        const attached = key === undefined ? [] : list(props[key]);
        const managed = attached
            .filter(
                (arn) =>
                    isAwsManaged(arn) &&
                    !config.allowedManagedPolicyArns.some((allowed) => withoutPartition(allowed) === withoutPartition(String(arn))),
            )
            .map(
                (arn) =>
                    `the AWS managed policy ${String(arn)} is attached; its actions cannot be checked; fix: grant the actions in a policy of the stack, or allow it in allowedManagedPolicyArns`,
            );
        return managed.concat(policyDocuments(type, props).flatMap((policy) => allowStatements(policy).flatMap(wildcardProblems)));
    },
};

/**
 * Actions that must name the resources they act on, each with what granting it on every resource
 * would allow. Any pattern matching one of them (`states:Send*`, `sts:*`, `*`) counts as granting it.
 */
export const SENSITIVE_ACTIONS: Record<string, string> = {
    "states:SendTaskSuccess": "answer the task tokens of any workflow",
    "states:SendTaskFailure": "answer the task tokens of any workflow",
    "states:SendTaskHeartbeat": "answer the task tokens of any workflow",
    "iam:PassRole": "hand any role of the account to a service",
    "sts:AssumeRole": "assume any role that trusts the account",
};

/**
 * Where each sensitive action's resources live: the service field of their ARNs and the literal
 * resource-type prefixes its resources start with.
 */
const SENSITIVE_RESOURCES: Record<string, { service: string; prefixes: string[] }> = {
    "states:SendTaskSuccess": { service: "states", prefixes: ["stateMachine:", "execution:"] },
    "states:SendTaskFailure": { service: "states", prefixes: ["stateMachine:", "execution:"] },
    "states:SendTaskHeartbeat": { service: "states", prefixes: ["stateMachine:", "execution:"] },
    "iam:PassRole": { service: "iam", prefixes: ["role/"] },
    "sts:AssumeRole": { service: "iam", prefixes: ["role/"] },
};

/**
 * Whether a Resource pattern lets a sensitive action reach resources it does not name. In an ARN's
 * resource part `*` also matches `:` and `/`, so a pattern names its resources only when its
 * partition, service, region and account fields are literal, its resource part starts with the
 * literal resource-type prefix (`stateMachine:`, `execution:`, `role/`) and at least one literal
 * character of the name comes before any wildcard (`role/service-role/*`, `stateMachine:callback-*`).
 * `*`, `arn:aws:states:*:*:stateMachine*`, `arn:aws:iam::123456789012:role*` and `…:role/*` do not.
 * A literal ARN, or a pattern that cannot match a resource of the action's type (another service's
 * ARN, `activity:*` for a state machine action), reaches nothing it does not name.
 */
export function isWideResourceFor(resource: string, action: string): boolean {
    if (!hasWildcard(resource)) return false;
    const spec = SENSITIVE_RESOURCES[action] ?? { service: "", prefixes: [] };
    const parts = resource.split(":");
    if (parts.length < 6 || parts[0] !== "arn") return true; // `*`, `arn:aws:iam::*`: not even a full ARN
    if (parts.slice(1, 5).some(hasWildcard)) return true;
    if (parts[2].toLowerCase() !== spec.service) return false;
    const rest = parts.slice(5).join(":");
    const prefix = spec.prefixes.find((p) => rest.startsWith(p));
    if (prefix !== undefined) return /^[*?]/.test(rest.slice(prefix.length));
    // No literal prefix: wide if the pattern's literal head could still begin one (`s*`, `*role*`).
    const head = rest.split(/[*?]/)[0];
    return spec.prefixes.some((p) => p.startsWith(head));
}

/** The sensitive actions an Allow statement grants, each with the pattern (or NotAction) that grants it. */
function sensitiveGrants(body: Record<string, unknown>): { action: string; through: string }[] {
    return Object.keys(SENSITIVE_ACTIONS).flatMap((action) => {
        if (body.NotAction !== undefined) {
            // An unknown exclusion might be this action: it cannot fail the rule.
            const unknown = body.NotAction === UNKNOWN || list(body.NotAction).includes(UNKNOWN);
            const excluded = unknown || strings(body.NotAction).some((pattern) => iamMatches(pattern, action));
            return excluded ? [] : [{ action, through: "NotAction" }];
        }
        const pattern = strings(body.Action).find((p) => iamMatches(p, action));
        return pattern === undefined ? [] : [{ action, through: pattern }];
    });
}

/** Where an Allow statement grants `action` on resources it does not name: a wide Resource, or NotResource (undefined when it does not). */
function wideResourceFor(body: Record<string, unknown>, action: string): string | undefined {
    if (body.NotResource !== undefined) return "NotResource";
    const wide = strings(body.Resource).find((resource) => isWideResourceFor(resource, action));
    return wide === undefined ? undefined : JSON.stringify(wide);
}

const sensitiveActionsScoped: ResourceRule = {
    name: "iam-sensitive-actions-scoped",
    description:
        'IAM identity policies grant states:SendTaskSuccess/Failure/Heartbeat, iam:PassRole and sts:AssumeRole (or a pattern matching them) only on named resources: ARNs with literal partition, service, region and account, the literal resource type (stateMachine:, execution:, role/) and a literal start of the name; never "*" or NotResource.',
    types: IDENTITY_POLICY_TYPES,
    check: (props, _config, type) =>
        policyDocuments(type, props).flatMap((policy) =>
            allowStatements(policy).flatMap(({ label, body }) => {
                // The grants, grouped by the first resource that is wide for each.
                const byResource = new Map<string, { action: string; through: string }[]>();
                for (const grant of sensitiveGrants(body)) {
                    const on = wideResourceFor(body, grant.action);
                    if (on !== undefined) byResource.set(on, [...(byResource.get(on) ?? []), grant]);
                }
                return [...byResource].map(([on, grants]) => {
                    const actions = grants.map(({ action, through }) =>
                        through.toLowerCase() === action.toLowerCase() ? action : `${action} (through ${through})`,
                    );
                    const risks = [...new Set(grants.map(({ action }) => SENSITIVE_ACTIONS[action]))];
                    return `${label} grants ${actions.join(", ")} on ${on}: whoever holds it could ${risks.join(" and ")}; fix: set Resource to the ARNs it needs, each with a literal region, account, resource type and name prefix`;
                });
            }),
        ),
};

/** Whether a Resource pattern names every resource (of a service): wildcards only, or an ARN wildcards after its service (`arn:aws:sqs:*:*:*`). */
function isAnyResource(resource: string): boolean {
    if (/^[*?]+$/.test(resource)) return true;
    const parts = resource.split(":");
    return parts.length >= 6 && parts[0] === "arn" && parts.slice(3).every((part) => part === "" || /^[*?]+$/.test(part));
}

const noWildcardResources: ResourceRule = {
    name: "iam-no-wildcard-resources",
    description:
        'IAM identity policies grant on "*" (or a Resource of wildcards only) nothing but actions that take no resource (actionsWithoutResource: log delivery, logs:DescribeLogGroups, X-Ray by default).',
    types: IDENTITY_POLICY_TYPES,
    check: (props, config, type) => {
        const free = new Set(config.actionsWithoutResource.map((action) => action.toLowerCase()));
        return policyDocuments(type, props).flatMap((policy) =>
            allowStatements(policy).flatMap(({ label, body }) => {
                const any = strings(body.Resource).find(isAnyResource);
                if (any === undefined) return []; // NotResource: iam-no-wildcard-actions reports it
                const actions =
                    body.NotAction !== undefined ? ["NotAction"] : strings(body.Action).filter((a) => !free.has(a.toLowerCase()));
                if (actions.length === 0) return [];
                return [
                    `${label} grants ${actions.join(", ")} on ${JSON.stringify(any)}, reaching every resource of the account (a condition such as kms:ViaService does not name one); fix: set Resource to the ARNs it needs, or, for an action that takes no resource, list it in actionsWithoutResource`,
                ];
            }),
        );
    },
};

const trustSingleService: ResourceRule = {
    name: "iam-trust-single-service",
    description: "Role trust policies name a single AWS service principal, across all their Allow statements.",
    types: [TYPES.role],
    check: (props) => {
        if (props.assumeRolePolicy === undefined || props.assumeRolePolicy === UNKNOWN) return [];
        const trust = document(props.assumeRolePolicy);
        if (trust === undefined) return ["the trust policy is not a JSON document; fix: give assumeRolePolicy as a JSON policy document"];
        if (trust.Statement === UNKNOWN) return []; // the next preview checks it
        const services = new Set<unknown>();
        const naming: string[] = []; // the statements that name a service
        const problems: string[] = [];
        let unknown = false;
        for (const { label, body } of allowStatements(trust)) {
            const principal = body.Principal;
            const p = obj(principal);
            if (principal === UNKNOWN || p?.Service === UNKNOWN) {
                unknown = true;
                continue;
            }
            const others = Object.keys(p ?? {}).filter((key) => key !== "Service");
            if (p === undefined || others.length > 0)
                problems.push(`${label} names ${JSON.stringify(principal ?? null)}, not a service; fix: trust one service principal`);
            for (const service of list(p?.Service)) if (service === UNKNOWN) unknown = true;
            for (const service of list(p?.Service)) if (service !== UNKNOWN) services.add(service);
            if (list(p?.Service).length > 0) naming.push(label);
        }
        // A policy of Deny statements only admits nobody: nothing to report.
        const anyAllow = allowStatements(trust).length > 0;
        const wrongCount = services.size > 1 || (services.size === 0 && !unknown) || [...services].some((s) => typeof s !== "string");
        if (anyAllow && problems.length === 0 && wrongCount) {
            problems.push(
                `${naming.length > 0 ? naming.join(", ") : "no statement"} ${naming.length > 1 ? "name" : "names"} ${JSON.stringify([...services])}; the trust policy must name exactly one service principal; fix: one role per service, trusted by one statement`,
            );
        }
        return problems;
    },
};

// Resource policies: who else may use a resource. Open to everyone is only acceptable when a
// condition narrows it to an account, an organization or a source (the usual way to admit a
// service that calls with no principal of its own, e.g. an EventBridge rule or an S3 notification).

/** The resource types with a resource policy, and the property that holds it. */
export const RESOURCE_POLICY_PROPS: Record<string, string> = {
    [TYPES.queue]: "policy",
    [TYPES.queuePolicy]: "policy",
    [TYPES.topic]: "policy",
    [TYPES.topicPolicy]: "policy",
    [TYPES.key]: "policy",
    [TYPES.keyPolicy]: "policy",
    [TYPES.bucketPolicy]: "policy",
    [TYPES.secretPolicy]: "policy",
    [TYPES.eventBusPolicy]: "policy",
    [TYPES.logResourcePolicy]: "policyDocument",
};

/**
 * Condition keys that narrow a statement open to `"*"` to an account, an organization or a source
 * (AWS's global condition keys, and KMS's caller account). `aws:SourceIp` is not one: an address
 * range says nothing about whose credentials call.
 */
export const NARROWING_CONDITION_KEYS = [
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "kms:CallerAccount",
];

/**
 * Operators under which a key restricts what it names. Negated ones (`StringNotEquals`) admit
 * everything else, `…IfExists` ones admit callers that do not send the key, `Null` only tests presence.
 */
const isRestrictingOperator = (operator: string) =>
    /^(String(Equals|EqualsIgnoreCase|Like)|Arn(Equals|Like))$/.test(operator.replace(/^ForAnyValue:/, ""));

const ACCOUNT_ID = /^\d{12}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/**
 * Whether a condition value pins what `key` names to an account or an organization: 12 literal
 * digits for an account key (a number counts: IAM accepts `123456789012`), 12 literal digits in the
 * account field of an ARN key, `o-` and a literal id for an organization key (followed by `/` for an
 * organization path), a literal `vpc-`/`vpce-` id. A policy variable (`${aws:SourceAccount}`) pins
 * nothing: it is whatever the request says. An unknown value pins (it is checked on the next preview).
 */
export function pinsValue(key: string, value: unknown): boolean {
    if (value === UNKNOWN) return true;
    const text = typeof value === "number" && Number.isInteger(value) ? String(value) : value;
    if (typeof text !== "string" || text.includes("${")) return false;
    switch (key.toLowerCase()) {
        case "aws:sourceaccount":
        case "aws:principalaccount":
        case "aws:sourceowner":
        case "kms:calleraccount":
            return ACCOUNT_ID.test(text);
        case "aws:sourcearn":
        case "aws:principalarn": {
            const parts = text.split(":");
            return parts.length >= 6 && parts[0] === "arn" && ACCOUNT_ID.test(parts[4]);
        }
        case "aws:principalorgid":
        case "aws:sourceorgid":
            return ORGANIZATION_ID.test(text);
        case "aws:principalorgpaths":
        case "aws:sourceorgpaths":
            return ORGANIZATION_ID.test(text.split("/")[0]) && text.includes("/");
        case "aws:sourcevpc":
            return /^vpc-[0-9a-f]+$/.test(text);
        case "aws:sourcevpce":
            return /^vpce-[0-9a-f]+$/.test(text);
        default:
            // A key configured in trustConditionKeys that is none of these: a value not made of wildcards only.
            return !/^[*?]*$/.test(text);
    }
}

/**
 * Whether a statement's Condition restricts one of `keys` (case-insensitive, as IAM compares them),
 * under a restricting operator, to values that all pin an account or organization ({@link pinsValue}).
 * An unknown condition counts.
 */
export function conditionRestricts(condition: unknown, keys: string[]): boolean {
    if (condition === UNKNOWN) return true;
    const wanted = new Set(keys.map((key) => key.toLowerCase()));
    return Object.entries(obj(condition) ?? {}).some(([operator, block]) => {
        if (!isRestrictingOperator(operator)) return false;
        if (block === UNKNOWN) return true;
        return Object.entries(obj(block) ?? {}).some(([key, value]) => {
            const values = list(value === UNKNOWN ? [UNKNOWN] : value);
            return wanted.has(key.toLowerCase()) && values.length > 0 && values.every((v) => pinsValue(key, v));
        });
    });
}

/** How an Allow statement admits everyone (`Principal: "*"`, `{"AWS": "*"}`, a NotPrincipal), or undefined. */
function everyone(body: Record<string, unknown>): string | undefined {
    if (body.NotPrincipal === UNKNOWN) return undefined; // the next preview checks it
    if (body.NotPrincipal !== undefined) return `NotPrincipal ${JSON.stringify(body.NotPrincipal)} (everyone it does not name)`;
    const principal = body.Principal;
    if (principal === "*") return 'Principal "*"';
    const open = Object.values(obj(principal) ?? {}).some((value) => strings(value).includes("*"));
    return open ? `Principal ${JSON.stringify(principal)}` : undefined;
}

/** The condition keys that tie a service's request to a source of this account (AWS's confused-deputy guard). */
const SOURCE_KEYS = ["aws:SourceArn", "aws:SourceAccount", "aws:SourceOrgID", "aws:SourceOrgPaths"];

/** The service principals an Allow statement admits without a source condition, and not through the allow-list. */
function unguardedServices(body: Record<string, unknown>, config: RuleConfig): string[] {
    const services = strings(obj(body.Principal)?.Service);
    if (services.length === 0 || conditionRestricts(body.Condition, SOURCE_KEYS)) return [];
    const actions = body.Action === UNKNOWN ? [] : strings(body.Action);
    return services.filter((service) => {
        if (body.NotAction !== undefined) return true;
        const allowed = config.serviceGrantsWithoutCondition.filter(
            (entry) => servicePrincipal(entry.service) === servicePrincipal(service),
        );
        return !actions.every((action) => allowed.some((entry) => entry.actions.some((pattern) => iamMatches(pattern, action))));
    });
}

const SERVICE_FIX =
    'fix: add "ArnEquals": {"aws:SourceArn": …} or "StringEquals": {"aws:SourceAccount": …} naming this account\'s resources, or, for a service that sends neither key, list it with these actions in serviceGrantsWithoutCondition';

const NARROWING_FIX =
    "fix: name the principals, or add a condition that narrows them (StringEquals aws:SourceAccount, ArnEquals aws:SourceArn, StringEquals aws:PrincipalOrgID, …)";

/** The violations of a Lambda permission or function URL (their "resource policy" is a set of properties). */
function lambdaAccessProblems(type: string, props: Record<string, unknown>, config: RuleConfig): string[] {
    if (type === TYPES.functionUrl) {
        return props.authorizationType === "NONE"
            ? ['authorizationType is NONE: anyone on the internet can invoke the function; fix: set authorizationType: "AWS_IAM"']
            : [];
    }
    const problems: string[] = [];
    // Each property, and the condition key it becomes in the function's policy.
    const keys: Record<string, string> =
        type === TYPES.layerVersionPermission
            ? { organizationId: "aws:PrincipalOrgID" }
            : { sourceArn: "aws:SourceArn", sourceAccount: "aws:SourceAccount", principalOrgId: "aws:PrincipalOrgID" };
    const pins = (property: string) =>
        props[property] !== undefined && props[property] !== null && pinsValue(keys[property], props[property]);
    const narrowing = Object.keys(keys);
    if (props.principal === "*" && !narrowing.some(pins))
        problems.push(
            `principal is "*" without ${narrowing.join(", ")} that pins an account or organization: any AWS account may use it; fix: name the principal or set ${narrowing.join(" or ")}`,
        );
    const service = typeof props.principal === "string" && /\.amazonaws\.com(\.cn)?$/i.test(props.principal) ? props.principal : undefined;
    if (service !== undefined && !pins("sourceArn") && !pins("sourceAccount")) {
        const action = str(props.action) ?? "lambda:InvokeFunction";
        const allowed = config.serviceGrantsWithoutCondition.some(
            (entry) => servicePrincipal(entry.service) === servicePrincipal(service) && entry.actions.some((p) => iamMatches(p, action)),
        );
        if (!allowed)
            problems.push(
                `principal is the service ${service} without sourceArn or sourceAccount that pins an account: a resource of any account could make ${service} invoke the function (confused deputy); fix: set sourceArn to the resource's ARN, or sourceAccount to this account`,
            );
    }
    if (props.functionUrlAuthType === "NONE")
        problems.push('functionUrlAuthType is NONE: anyone on the internet can invoke the function URL; fix: use "AWS_IAM"');
    return problems;
}

const resourcePolicyNotPublic: ResourceRule = {
    name: "resource-policy-not-public",
    description:
        'Resource policies (queues, topics, KMS keys, buckets, secrets, event buses, log resource policies) allow "*" only under a condition that pins an account or an organization, and a service principal only under aws:SourceArn/aws:SourceAccount (or as serviceGrantsWithoutCondition allows); Lambda permissions name their principal or source, and function URLs require IAM auth.',
    types: [...Object.keys(RESOURCE_POLICY_PROPS), TYPES.permission, TYPES.functionUrl, TYPES.layerVersionPermission],
    check: (props, config, type) => {
        const key = RESOURCE_POLICY_PROPS[type];
        if (key === undefined) return lambdaAccessProblems(type, props, config);
        const policy = document(props[key]);
        if (policy === undefined) return [];
        return allowStatements(policy).flatMap(({ label, body }) => {
            const problems: string[] = [];
            const who = everyone(body);
            if (who !== undefined && !conditionRestricts(body.Condition, NARROWING_CONDITION_KEYS))
                problems.push(
                    `${label} allows ${who} without a condition that narrows it to an account, organization or source; ${NARROWING_FIX}`,
                );
            for (const service of unguardedServices(body, config))
                problems.push(
                    `${label} allows the service ${service} without a condition on aws:SourceArn or aws:SourceAccount that pins an account, so a resource of any account could make ${service} act on this one (confused deputy); ${SERVICE_FIX}`,
                );
            return problems;
        });
    },
};

/**
 * Confused-deputy guard: a role that a service assumes on behalf of a resource must say which
 * account's (and which) resources, or any customer's resource of that service could act as it.
 */
/**
 * A service principal as one name: a regional principal (`states.eu-west-1.amazonaws.com`) and a
 * China one (`states.amazonaws.com.cn`) are the service's global principal, in lower case.
 */
export function servicePrincipal(principal: string): string {
    const match = /^([a-z0-9-]+)(?:\.[a-z]{2}(?:-[a-z]+)+-\d+)?\.amazonaws\.com(?:\.cn)?$/i.exec(principal);
    return match ? `${match[1].toLowerCase()}.amazonaws.com` : principal.toLowerCase();
}

const trustConditions: ResourceRule = {
    name: "iam-trust-confused-deputy",
    description:
        "Every Allow statement of a role trust policy that names a service of trustConditionKeys (default states.amazonaws.com) restricts each of its keys (default aws:SourceAccount and aws:SourceArn) with StringEquals, StringLike, ArnEquals or ArnLike.",
    types: [TYPES.role],
    check: (props, config) => {
        const trust = document(props.assumeRolePolicy);
        if (trust === undefined) return []; // unknown, or not JSON (iam-trust-single-service reports that)
        const required = new Map(Object.entries(config.trustConditionKeys).map(([service, keys]) => [servicePrincipal(service), keys]));
        return allowStatements(trust).flatMap(({ label, body }) =>
            strings(obj(body.Principal)?.Service).flatMap((service) => {
                const missing = (required.get(servicePrincipal(service)) ?? []).filter((key) => !conditionRestricts(body.Condition, [key]));
                return missing.length === 0
                    ? []
                    : [
                          `${label} lets ${service} assume the role without a condition on ${missing.join(" and ")}, so a resource of any account could use it; fix: add ${missing.map((key) => `"${/arn/i.test(key) ? "ArnLike" : "StringEquals"}": {"${key}": …}`).join(" and ")} naming this account's resources`,
                      ];
            }),
        );
    },
};

export const RESOURCE_RULES: ResourceRule[] = [
    queueEncrypted,
    topicEncrypted,
    lambdaRuntime,
    stateMachineObservable,
    noTaskTokensInLogs,
    callbackNeedsStandard,
    callbackTimeout,
    wildcardActions,
    sensitiveActionsScoped,
    noWildcardResources,
    trustSingleService,
    trustConditions,
    resourcePolicyNotPublic,
];

/** How a message names a resource: its kind (the last part of its type) and its logical name, e.g. `role "callback-workflow-role"`. */
export function describeResource(type: string, name: string): string {
    const kind = type.split(":").pop() ?? type;
    return `${kind.charAt(0).toLowerCase()}${kind.slice(1)} "${name}"`;
}

/**
 * Runs one resource rule on a resource of any type (no violation for types it does not look at).
 * Every violation starts with the resource it is about, so that the rules need not say it.
 */
export function checkResource(
    rule: ResourceRule,
    resource: { type: string; name: string; props: Record<string, unknown> },
    config: RuleConfig = DEFAULT_RULE_CONFIG,
): string[] {
    if (!rule.types.includes(resource.type)) return [];
    const subject = describeResource(resource.type, resource.name);
    return rule.check(resource.props, config, resource.type).map((violation) => `${subject}: ${violation}`);
}

// ---------------------------------------------------------------------------------------------
// Stack rules

const ofType = (resources: CheckedResource[], type: string) => resources.filter((r) => r.type === type);

/**
 * The resource of `type` that `from`'s property `key` refers to: by value when it is known (an ARN
 * or a name), else through the dependency Pulumi recorded for that property.
 */
function referenced(resources: CheckedResource[], from: CheckedResource, key: string, type: string): CheckedResource | undefined {
    const value = from.props[key];
    const candidates = ofType(resources, type);
    if (typeof value === "string") return candidates.find((r) => r.props.arn === value || r.props.name === value);
    const urns = from.propertyDependencies[key] ?? [];
    return candidates.find((r) => urns.includes(r.urn));
}

const isSqsArn = (value: unknown) => /^arn:aws[\w-]*:sqs:/.test(String(value ?? ""));

/** Whether another queue's redrive policy names `queue` (by ARN, or through its dependency). */
const isDeadLetterQueue = (queues: CheckedResource[], queue: CheckedResource) =>
    queues.some((other) => {
        if (other === queue) return false;
        const target = document(other.props.redrivePolicy)?.deadLetterTargetArn;
        if (typeof target === "string" && target === queue.props.arn) return true;
        return (other.propertyDependencies.redrivePolicy ?? []).includes(queue.urn);
    });

const queueRedrive: StackRule = {
    name: "sqs-queue-redrive",
    description: "Every SQS queue has a redrive policy to a dead-letter queue, or is itself the dead-letter queue of another.",
    check: (resources) => {
        const queues = ofType(resources, TYPES.queue);
        return queues
            .filter((queue) => !present(queue.props.redrivePolicy) && !isDeadLetterQueue(queues, queue))
            .map(
                (queue) =>
                    `${describeResource(queue.type, queue.name)}: has no redrive policy and is no other queue's dead-letter queue; fix: set redrivePolicy with a deadLetterTargetArn and maxReceiveCount`,
            );
    },
};

/** The event source mappings that read an SQS queue (by ARN, or through their dependency on a queue). */
const sqsMappings = (resources: CheckedResource[]) =>
    ofType(resources, TYPES.eventSourceMapping).filter(
        (m) => isSqsArn(m.props.eventSourceArn) || referenced(resources, m, "eventSourceArn", TYPES.queue) !== undefined,
    );

const mappingReportsFailures: StackRule = {
    name: "sqs-event-source-reports-batch-item-failures",
    description: "Every SQS event source mapping reports batch item failures, so that one failed record does not return its whole batch.",
    check: (resources) =>
        sqsMappings(resources)
            .filter((m) => {
                const types = m.props.functionResponseTypes;
                return types !== UNKNOWN && !list(types).includes(UNKNOWN) && !list(types).includes("ReportBatchItemFailures");
            })
            .map(
                (m) =>
                    `${describeResource(m.type, m.name)}: does not report batch item failures, so one failed record returns its whole batch; fix: set functionResponseTypes: ["ReportBatchItemFailures"]`,
            ),
};

const visibilityCoversFunction: StackRule = {
    name: "sqs-visibility-timeout-covers-function",
    description:
        "A queue that feeds a Lambda function has a visibility timeout of at least 6 × the function's timeout + the batching window.",
    check: (resources) =>
        sqsMappings(resources).flatMap((mapping) => {
            const queue = referenced(resources, mapping, "eventSourceArn", TYPES.queue);
            const fn = referenced(resources, mapping, "functionName", TYPES.function);
            if (queue === undefined || fn === undefined) return []; // not both in this stack
            const values = [fn.props.timeout, mapping.props.maximumBatchingWindowInSeconds, queue.props.visibilityTimeoutSeconds];
            if (values.includes(UNKNOWN)) return []; // the next preview checks it
            const timeout = num(fn.props.timeout) ?? 3;
            const window = num(mapping.props.maximumBatchingWindowInSeconds) ?? 0;
            const visibility = num(queue.props.visibilityTimeoutSeconds) ?? 30;
            const needed = 6 * timeout + window;
            return visibility >= needed
                ? []
                : [
                      `${describeResource(queue.type, queue.name)}: a visibility timeout of ${visibility} s; feeding ${describeResource(fn.type, fn.name)} (timeout ${timeout} s, batching window ${window} s) it needs at least ${needed} s; fix: set visibilityTimeoutSeconds to at least ${needed}`,
                  ];
        }),
};

/**
 * The resources of `type` that attach something to `queue` through their `queueUrl` (by value when
 * both are known, else through the dependency Pulumi recorded), and whether some other one might
 * (its `queueUrl` unknown, with no dependency recorded).
 */
function attachedToQueue(resources: CheckedResource[], queue: CheckedResource, type: string): { found: CheckedResource[]; maybe: boolean } {
    const found: CheckedResource[] = [];
    let maybe = false;
    for (const resource of ofType(resources, type)) {
        const url = resource.props.queueUrl;
        const deps = resource.propertyDependencies.queueUrl ?? [];
        if (typeof url === "string" && typeof queue.props.url === "string") {
            if (url === queue.props.url) found.push(resource);
        } else if (deps.includes(queue.urn)) found.push(resource);
        else if (deps.length === 0 && (url === UNKNOWN || queue.props.url === UNKNOWN)) maybe = true;
    }
    return { found, maybe };
}

/** A role ARN with nothing left open: literal partition, 12-digit account and name, no wildcard, no policy variable. */
const isNamedRole = (value: unknown) =>
    value === UNKNOWN || (typeof value === "string" && /^arn:[\w-]+:iam::\d{12}:role\/[^*?]+$/.test(value) && !value.includes("${"));

/**
 * Whether a statement denies sqs:SendMessage to everyone but named roles: Effect Deny, Principal
 * `"*"` (or `{"AWS": "*"}`), an Action covering sqs:SendMessage, and a Condition made only of
 * `ArnNotEquals`, `StringNotEquals` or `ArnNotLike` on `aws:PrincipalArn` naming full role ARNs.
 * Any other condition would let the Deny apply to fewer requests. Its Resource must cover the queue.
 * Unknown parts count as guarding.
 */
function guardsSend(body: Record<string, unknown>, queueArn: unknown): boolean {
    if (body.Effect !== "Deny") return false;
    // On the queue: a Resource matching its ARN (anything might, while the ARN or Resource is unknown).
    if (typeof queueArn === "string") {
        if (body.NotResource !== undefined) return false;
        const unknown = body.Resource === UNKNOWN || list(body.Resource).includes(UNKNOWN);
        if (!unknown && !strings(body.Resource).some((p) => iamMatches(p, queueArn))) return false;
    }
    const principal = body.Principal;
    const toEveryone =
        principal === UNKNOWN || principal === "*" || strings(obj(principal)?.AWS).includes("*") || obj(principal)?.AWS === UNKNOWN;
    const actions = list(body.Action);
    const coversSend =
        body.Action === UNKNOWN || actions.includes(UNKNOWN) || strings(body.Action).some((p) => iamMatches(p, "sqs:SendMessage"));
    if (!toEveryone || !coversSend || body.NotAction !== undefined) return false;
    const condition = body.Condition;
    if (condition === UNKNOWN) return true;
    const blocks = Object.entries(obj(condition) ?? {});
    return (
        blocks.length > 0 &&
        blocks.every(([operator, block]) => {
            if (!/^(ArnNotEquals|StringNotEquals|ArnNotLike)$/.test(operator)) return false;
            if (block === UNKNOWN) return true;
            const entries = Object.entries(obj(block) ?? {});
            return (
                entries.length > 0 &&
                entries.every(([key, value]) => {
                    const values = list(value === UNKNOWN ? [UNKNOWN] : value);
                    return key.toLowerCase() === "aws:principalarn" && values.length > 0 && values.every(isNamedRole);
                })
            );
        })
    );
}

/** Whether a queue policy (text or object) guards sending; an unknown policy or Statement counts. */
function policyGuardsSend(value: unknown, queueArn: unknown): boolean {
    if (value === UNKNOWN) return true;
    const policy = document(value);
    if (policy === undefined) return false;
    if (policy.Statement === UNKNOWN) return true;
    return list(policy.Statement).some(
        (statement) => statement === UNKNOWN || (obj(statement) !== undefined && guardsSend(obj(statement)!, queueArn)),
    );
}

const taskQueueSendGuarded: StackRule = {
    name: "sqs-task-queue-send-guarded",
    description:
        'A queue read by an SQS event source mapping (a task queue) has a queue policy (aws.sqs.QueuePolicy or its own policy) that denies sqs:SendMessage to "*" except named roles (ArnNotEquals, StringNotEquals or ArnNotLike on aws:PrincipalArn with full role ARNs).',
    check: (resources) =>
        sqsMappings(resources).flatMap((mapping) => {
            const queue = referenced(resources, mapping, "eventSourceArn", TYPES.queue);
            if (queue === undefined) return []; // a queue of another stack
            const { found, maybe } = attachedToQueue(resources, queue, TYPES.queuePolicy);
            const policies = [...found.map((p) => p.props.policy), ...(present(queue.props.policy) ? [queue.props.policy] : [])];
            if (maybe || policies.some((policy) => policyGuardsSend(policy, queue.props.arn))) return [];
            return [
                `${describeResource(queue.type, queue.name)}: read by ${describeResource(mapping.type, mapping.name)}, it has no queue policy that denies sqs:SendMessage to "*" except named roles, so whoever an identity policy of the account lets send could put a forged task on it; fix: add an aws.sqs.QueuePolicy with a Deny of sqs:SendMessage to Principal "*" under ArnNotEquals {"aws:PrincipalArn": [the sender roles' ARNs]}`,
            ];
        }),
};

/** What is wrong with a redrive allow policy (text or object): undefined when it is byQueue, denyAll or not known yet. */
function redriveAllowProblem(value: unknown): string | undefined {
    if (value === UNKNOWN) return undefined;
    const policy = document(value);
    if (policy === undefined) return "the redrive allow policy is not a JSON document";
    const permission = policy.redrivePermission;
    if (permission === UNKNOWN || permission === "byQueue" || permission === "denyAll") return undefined;
    return `redrivePermission is ${typeof permission === "string" ? permission : "not set (allowAll)"}, so a queue of any account may use this queue as its dead-letter queue`;
}

const REDRIVE_ALLOW_FIX = 'fix: set redrivePermission to "byQueue" with sourceQueueArns, or "denyAll"';

const redriveAllowRestricted: StackRule = {
    name: "sqs-redrive-allow-restricted",
    description:
        "Every redrive allow policy (aws.sqs.RedriveAllowPolicy, or a queue's redriveAllowPolicy) is byQueue or denyAll, never allowAll; every dead-letter queue of the stack has one.",
    check: (resources) => {
        const queues = ofType(resources, TYPES.queue);
        const problems: string[] = [];
        for (const resource of [...ofType(resources, TYPES.redriveAllowPolicy), ...queues]) {
            if (!present(resource.props.redriveAllowPolicy)) continue;
            const problem = redriveAllowProblem(resource.props.redriveAllowPolicy);
            if (problem !== undefined) problems.push(`${describeResource(resource.type, resource.name)}: ${problem}; ${REDRIVE_ALLOW_FIX}`);
        }
        for (const queue of queues.filter((q) => isDeadLetterQueue(queues, q))) {
            if (present(queue.props.redriveAllowPolicy)) continue;
            const { found, maybe } = attachedToQueue(resources, queue, TYPES.redriveAllowPolicy);
            if (found.length > 0 || maybe) continue;
            problems.push(
                `${describeResource(queue.type, queue.name)}: a dead-letter queue without a redrive allow policy, which means allowAll; fix: add an aws.sqs.RedriveAllowPolicy with redrivePermission "byQueue" and sourceQueueArns`,
            );
        }
        return problems;
    },
};

const lambdaLogRetention: StackRule = {
    name: "lambda-log-retention",
    description: "Every Lambda function logs to a log group of this stack that has a retention period.",
    check: (resources) =>
        ofType(resources, TYPES.function).flatMap((fn) => {
            if (fn.props.loggingConfig === UNKNOWN) return []; // the next preview checks it
            const logging = obj(fn.props.loggingConfig);
            let group: CheckedResource | undefined;
            let named: string | undefined;
            if (logging !== undefined && present(logging.logGroup)) {
                named = str(logging.logGroup);
                group =
                    named !== undefined
                        ? ofType(resources, TYPES.logGroup).find((g) => g.props.name === named)
                        : ofType(resources, TYPES.logGroup).find((g) => (fn.propertyDependencies.loggingConfig ?? []).includes(g.urn));
            } else {
                named = str(fn.props.name) === undefined ? undefined : `/aws/lambda/${String(fn.props.name)}`;
                if (named === undefined) return []; // an auto-name not known yet
                group = ofType(resources, TYPES.logGroup).find((g) => g.props.name === named);
            }
            if (group === undefined) {
                return [
                    `${describeResource(fn.type, fn.name)}: logs to ${named ?? "a log group"} that this stack does not create (Lambda would create it without a retention); fix: create an aws.cloudwatch.LogGroup with retentionInDays, and set loggingConfig.logGroup to its name`,
                ];
            }
            if (group.props.retentionInDays === UNKNOWN) return [];
            const days = num(group.props.retentionInDays) ?? 0;
            return days > 0
                ? []
                : [
                      `${describeResource(group.type, group.name)}: keeps the logs of ${describeResource(fn.type, fn.name)} forever; fix: set retentionInDays`,
                  ];
        }),
};

const externalManagedPolicies: StackRule = {
    name: "iam-no-external-managed-policies",
    description:
        "Every customer managed policy attached (to a role, user or group) is a policy of this stack, whose statements the pack checks, or is listed in allowedCustomerManagedPolicyArns.",
    check: (resources, config) => {
        const own = ofType(resources, TYPES.policy);
        return resources.flatMap((resource) => {
            const key = MANAGED_POLICY_ATTACHMENTS[resource.type];
            if (key === undefined) return [];
            // A new policy's ARN is unknown during the preview, and so is the ARN an attachment takes
            // from it: unknown values are left out (they are checked on the next preview). A known ARN
            // is one of the stack's policies by ARN, or by path and name (an ARN written out by hand
            // for a policy of the stack that does not exist yet).
            const ofStack = (arn: string) =>
                own.some(
                    (policy) =>
                        policy.props.arn === arn ||
                        (str(policy.props.name) !== undefined &&
                            arn.endsWith(`:policy${str(policy.props.path) ?? "/"}${String(policy.props.name)}`)),
                );
            return strings(resource.props[key])
                .filter((arn) => !isAwsManaged(arn) && !config.allowedCustomerManagedPolicyArns.includes(arn) && !ofStack(arn))
                .map(
                    (arn) =>
                        `${describeResource(resource.type, resource.name)}: attaches ${arn}, a customer managed policy this stack does not create, so no rule checks its statements; fix: define the policy in the stack (aws.iam.Policy), or list its ARN in allowedCustomerManagedPolicyArns`,
                );
        });
    },
};

export const STACK_RULES: StackRule[] = [
    queueRedrive,
    taskQueueSendGuarded,
    redriveAllowRestricted,
    mappingReportsFailures,
    visibilityCoversFunction,
    lambdaLogRetention,
    externalManagedPolicies,
];
