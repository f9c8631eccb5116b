/**
 * The IAM policies of the identities that deploy the stack: the deploy role (`pulumi up`,
 * `pulumi destroy`, `pulumi refresh`) and the preview role (`pulumi preview`). Pure functions of
 * the account, region, partition and project, built from one table keyed by the Pulumi type of
 * each resource the program registers and each invoke it makes, so that a new resource type
 * without its permissions fails the tests (`tests/deploy-policy.test.ts`).
 *
 * Where each action list comes from is said on each entry: "provider source" means the calls were
 * read in hashicorp/terraform-provider-aws, `internal/service/<svc>/<file>.go` (which the Pulumi
 * AWS provider wraps); "knowledge" means the list was written from what the provider is known to
 * call and from AWS's documentation, not checked against the source. Nothing here was tried
 * against a real account.
 */
import { LOG_DELIVERY_ACTIONS, type PolicyDocument, type PolicyStatement } from "./iam-documents";

/**
 * Logical name of the top-level component (`index.ts`). Every child's logical name, and so every
 * auto-named physical name, starts with `${COMPONENT_NAME}-`: the policies below are scoped to it.
 */
export const COMPONENT_NAME = "callback";

/** What the policy is scoped to. */
export interface DeployScope {
    /** The 12-digit account the stack deploys to. */
    accountId: string;
    /** The stack's region (`aws:region`). */
    region: string;
    /** The region's partition: `aws`, `aws-cn`, `aws-us-gov`, … */
    partition: string;
    /** The project name (`Pulumi.yaml`): every resource carries it as its `pulumi:project` tag. */
    project: string;
    /**
     * The stack's `permissionsBoundaryArn`, when it sets one: the deploy role may then create, and
     * write the inline policies of, only roles that carry that boundary.
     */
    permissionsBoundaryArn?: string;
}

/** Which identity needs a grant: `read` goes to both roles, `write` to the deploy role only. */
export type Access = "read" | "write";

/** Actions on resources, with an optional condition. */
export interface Grant {
    access: Access;
    actions: string[];
    resources(scope: DeployScope): string[];
    /** A condition on the grant; none when it returns undefined. */
    condition?(scope: DeployScope): Record<string, Record<string, string>> | undefined;
    /** Whether the grant is needed for this scope at all (always, when omitted). */
    appliesTo?(scope: DeployScope): boolean;
}

/** The permissions one Pulumi resource type or invoke needs. */
export interface TypePermissions {
    /** Where the action list comes from: "provider source …" or "knowledge …". */
    source: string;
    grants: Grant[];
}

/** The roles a pipeline identity can have. */
export type DeployRole = "deploy" | "preview";

/** The tag every resource carries (index.ts): what KMS keys, whose ARNs carry no name, are scoped by. */
export const PROJECT_TAG = "pulumi:project";

const prefix = `${COMPONENT_NAME}-`;

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; IAM's ARNs have no region. */
function arn(scope: DeployScope, service: string, resource: string): string {
    const region = service === "iam" ? "" : scope.region;
    return `arn:${scope.partition}:${service}:${region}:${scope.accountId}:${resource}`;
}

const named =
    (service: string, resourcePrefix = "") =>
    (scope: DeployScope) => [arn(scope, service, `${resourcePrefix}${prefix}*`)];
const everything = () => ["*"];

const queues = named("sqs");
const topics = named("sns");
const roles = named("iam", "role/");
const alarms = named("cloudwatch", "alarm:");
const stateMachines = named("states", "stateMachine:");
const functions = named("lambda", "function:");
/** The two log groups: the state machine's (vended logs) and the function's (index.ts, namePrefix). */
const logGroups = (scope: DeployScope) => [
    arn(scope, "logs", `log-group:/aws/vendedlogs/states/${prefix}*`),
    arn(scope, "logs", `log-group:/aws/lambda/${prefix}*`),
];
const keys = (scope: DeployScope) => [arn(scope, "kms", "key/*")];
/** Event source mappings are named by a random id: all of this account and region's. */
const mappings = (scope: DeployScope) => [arn(scope, "lambda", "event-source-mapping:*")];
const taggedWithProject = (scope: DeployScope) => ({ StringEquals: { [`aws:ResourceTag/${PROJECT_TAG}`]: scope.project } });
const requestTaggedWithProject = (scope: DeployScope) => ({ StringEquals: { [`aws:RequestTag/${PROJECT_TAG}`]: scope.project } });

/**
 * Role names: `<component>-role-<suffix>` under the components `callback-workflow` (state
 * machine) and `callback-callback` (function), see callback-pattern.ts and service-role.ts.
 */
export const STATE_MACHINE_ROLE_PATTERN = `${prefix}workflow-*`;
export const FUNCTION_ROLE_PATTERN = `${prefix}callback-*`;

/**
 * With a permissions boundary: only on a role that carries it (`iam:PermissionsBoundary`, which
 * IAM evaluates for CreateRole, PutRolePolicy, DeleteRolePolicy and PutRolePermissionsBoundary).
 * Whatever trust or inline policy such a role is given, it can do no more than the boundary allows,
 * so the deploy role cannot make itself an administrator through the roles it creates.
 */
const withBoundary = (scope: DeployScope) =>
    scope.permissionsBoundaryArn === undefined ? undefined : { StringEquals: { "iam:PermissionsBoundary": scope.permissionsBoundaryArn } };

/** `iam:PassRole` of one role to one service: what creating a resource that runs as it needs. */
function passRole(rolePattern: string, service: string): Grant {
    return {
        access: "write",
        actions: ["iam:PassRole"],
        resources: (scope) => [arn(scope, "iam", `role/${rolePattern}`)],
        condition: () => ({ StringEquals: { "iam:PassedToService": service } }),
    };
}

/** A resource that is one attribute of a queue (its policy, its redrive allow policy): read and set that attribute. */
const queueAttributeGrants: Grant[] = [
    { access: "read", actions: ["sqs:GetQueueAttributes"], resources: queues },
    { access: "write", actions: ["sqs:SetQueueAttributes"], resources: queues },
];

/**
 * Every Pulumi type the program registers or invokes, and what its create, read (after create, on
 * refresh), update, delete and tagging need. Keys are Pulumi type tokens as the engine reports
 * them (`aws:sqs/queue:Queue`, `aws:index/getRegion:getRegion`).
 */
export const DEPLOY_PERMISSIONS: Record<string, TypePermissions> = {
    "aws:sqs/queue:Queue": {
        source: "provider source (internal/service/sqs/queue.go: CreateQueue with tags, GetQueueAttributes(All) on read and while waiting for attributes, SetQueueAttributes, DeleteQueue, tags through ListQueueTags/TagQueue/UntagQueue). Tagging on create needs sqs:TagQueue (knowledge: SQS developer guide)",
        grants: [
            { access: "read", actions: ["sqs:GetQueueAttributes", "sqs:ListQueueTags"], resources: queues },
            {
                access: "write",
                actions: ["sqs:CreateQueue", "sqs:SetQueueAttributes", "sqs:DeleteQueue", "sqs:TagQueue", "sqs:UntagQueue"],
                resources: queues,
            },
        ],
    },
    "aws:sqs/queuePolicy:QueuePolicy": {
        source: "provider source (internal/service/sqs/attribute_funcs.go, the queue attribute handler of queue_policy.go: SetQueueAttributes(Policy), GetQueueAttributes(Policy) on read and while waiting; delete sets it empty)",
        grants: queueAttributeGrants,
    },
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": {
        source: "provider source (internal/service/sqs/attribute_funcs.go, the same handler for the RedriveAllowPolicy attribute)",
        grants: queueAttributeGrants,
    },
    "aws:sns/topic:Topic": {
        source: "provider source (internal/service/sns/topic.go: CreateTopic with tags, then SetTopicAttributes for each attribute, KmsMasterKeyId among them; GetTopicAttributes on read; DeleteTopic; @Tags(identifierAttribute=arn): ListTagsForResource, TagResource, UntagResource). That SNS does not check the caller's KMS permissions for KmsMasterKeyId is knowledge",
        grants: [
            { access: "read", actions: ["sns:GetTopicAttributes", "sns:ListTagsForResource"], resources: topics },
            {
                access: "write",
                actions: ["sns:CreateTopic", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:TagResource", "sns:UntagResource"],
                resources: topics,
            },
        ],
    },
    "aws:sns/topicSubscription:TopicSubscription": {
        source: "provider source (internal/service/sns/topic_subscription.go: Subscribe, GetSubscriptionAttributes on read and while waiting, SetSubscriptionAttributes, Unsubscribe). Only Subscribe names the topic; that the subscription actions have no resource type (so `*`) is knowledge",
        grants: [
            { access: "read", actions: ["sns:GetSubscriptionAttributes"], resources: everything },
            { access: "write", actions: ["sns:Subscribe"], resources: topics },
            { access: "write", actions: ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"], resources: everything },
        ],
    },
    "aws:kms/key:Key": {
        source: "provider source (internal/service/kms/key.go: CreateKey, EnableKeyRotation, then DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags on read; UpdateKeyDescription, PutKeyPolicy, EnableKey/DisableKey, Enable/DisableKeyRotation on update; ScheduleKeyDeletion). A key's ARN carries a random id, not the name: the key is scoped by its pulumi:project tag instead. CreateKey has no resource; tagging on create needs kms:TagResource on all keys of the account and region (KMS developer guide, 'Managing KMS key tags with API operations'), so both are conditioned on the request's tag",
        grants: [
            {
                // Reads unconditioned (this account and region only): they run right after
                // CreateKey, when a new key's tags may not yet count for authorization.
                access: "read",
                actions: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
                resources: keys,
            },
            { access: "write", actions: ["kms:CreateKey"], resources: everything, condition: requestTaggedWithProject },
            {
                // Tagging on create. Known gap: the same grant lets this role add the project tag to
                // another key of the account and region, and then manage it through the grant below,
                // if that key's policy delegates to IAM. Deploy into an account of its own.
                access: "write",
                actions: ["kms:TagResource"],
                resources: keys,
                condition: requestTaggedWithProject,
            },
            {
                access: "write",
                actions: [
                    "kms:PutKeyPolicy",
                    "kms:UpdateKeyDescription",
                    "kms:EnableKey",
                    "kms:DisableKey",
                    "kms:EnableKeyRotation",
                    "kms:DisableKeyRotation",
                    "kms:ScheduleKeyDeletion",
                    "kms:TagResource",
                    "kms:UntagResource",
                ],
                resources: keys,
                condition: taggedWithProject,
            },
        ],
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        source: "provider source (internal/service/cloudwatch/metric_alarm.go: DescribeAlarms by name before create and on read, PutMetricAlarm with tags for create and update, DeleteAlarms; tags through ListTagsForResource/TagResource/UntagResource). Tagging on create needs cloudwatch:TagResource (knowledge)",
        grants: [
            { access: "read", actions: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"], resources: alarms },
            {
                access: "write",
                actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
                resources: alarms,
            },
        ],
    },
    "aws:iam/role:Role": {
        source: "provider source (internal/service/iam/role.go, an older revision: CreateRole with tags, GetRole, ListRolePolicies/GetRolePolicy and ListAttachedRolePolicies on read, UpdateAssumeRolePolicy, UpdateRoleDescription, UpdateRole, TagRole/UntagRole, ListInstanceProfilesForRole then DeleteRole); iam:ListRoleTags from knowledge",
        grants: [
            {
                access: "read",
                actions: [
                    "iam:GetRole",
                    "iam:ListRolePolicies",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRoleTags",
                    "iam:ListInstanceProfilesForRole",
                ],
                resources: roles,
            },
            { access: "write", actions: ["iam:CreateRole"], resources: roles, condition: withBoundary },
            {
                access: "write",
                actions: [
                    "iam:UpdateRole",
                    "iam:UpdateRoleDescription",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:DeleteRole",
                    "iam:TagRole",
                    "iam:UntagRole",
                ],
                resources: roles,
            },
            // Only with a boundary: setting it on a role created before it was configured.
            {
                access: "write",
                actions: ["iam:PutRolePermissionsBoundary"],
                resources: roles,
                condition: withBoundary,
                appliesTo: (scope) => scope.permissionsBoundaryArn !== undefined,
            },
        ],
    },
    "aws:iam/rolePolicy:RolePolicy": {
        source: "knowledge (internal/service/iam/role_policy.go: PutRolePolicy, GetRolePolicy, DeleteRolePolicy)",
        grants: [
            { access: "read", actions: ["iam:GetRolePolicy"], resources: roles },
            { access: "write", actions: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"], resources: roles, condition: withBoundary },
        ],
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        source: "provider source (internal/service/logs/group.go: CreateLogGroup with tags, PutRetentionPolicy/DeleteRetentionPolicy, DescribeLogGroups by name prefix on read, DeleteLogGroup; @Tags(identifierAttribute=arn): ListTagsForResource, TagResource, UntagResource). DescribeLogGroups is authorized on all log groups of the account and region (knowledge)",
        grants: [
            { access: "read", actions: ["logs:DescribeLogGroups"], resources: (scope) => [arn(scope, "logs", "log-group:*")] },
            { access: "read", actions: ["logs:ListTagsForResource"], resources: logGroups },
            {
                access: "write",
                actions: [
                    "logs:CreateLogGroup",
                    "logs:PutRetentionPolicy",
                    "logs:DeleteRetentionPolicy",
                    "logs:DeleteLogGroup",
                    "logs:TagResource",
                    "logs:UntagResource",
                ],
                resources: logGroups,
            },
        ],
    },
    "aws:sfn/stateMachine:StateMachine": {
        source: "provider source (internal/service/sfn/state_machine.go: ValidateStateMachineDefinition in CustomizeDiff whenever the definition changes, so during preview; CreateStateMachine with tags; DescribeStateMachine and ListStateMachineVersions on every read; UpdateStateMachine; DeleteStateMachine; @Tags(identifierAttribute=id): ListTagsForResource, TagResource, UntagResource). ValidateStateMachineDefinition has no resource type (knowledge). Log delivery: a state machine with logging makes the caller set up vended log delivery (Step Functions developer guide, 'IAM policies for logging to CloudWatch Logs'); those actions take no resource. iam:PassRole of its role",
        grants: [
            { access: "read", actions: ["states:ValidateStateMachineDefinition"], resources: everything },
            {
                access: "read",
                actions: ["states:DescribeStateMachine", "states:ListStateMachineVersions", "states:ListTagsForResource"],
                resources: stateMachines,
            },
            {
                access: "write",
                actions: [
                    "states:CreateStateMachine",
                    "states:UpdateStateMachine",
                    "states:DeleteStateMachine",
                    "states:TagResource",
                    "states:UntagResource",
                ],
                resources: stateMachines,
            },
            {
                access: "write",
                actions: [...LOG_DELIVERY_ACTIONS],
                resources: everything,
            },
            passRole(STATE_MACHINE_ROLE_PATTERN, "states.amazonaws.com"),
        ],
    },
    "aws:lambda/function:Function": {
        source: "provider source (internal/service/lambda/function.go: CreateFunction with the zip and tags, GetFunction (tags included), ListVersionsByFunction and GetFunctionCodeSigningConfig on read, UpdateFunctionConfiguration, UpdateFunctionCode, DeleteFunction); tag updates TagResource/UntagResource, and GetFunction returns tags only with lambda:ListTags (knowledge). iam:PassRole of its role",
        grants: [
            {
                access: "read",
                actions: ["lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListTags"],
                resources: functions,
            },
            {
                access: "write",
                actions: [
                    "lambda:CreateFunction",
                    "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration",
                    "lambda:DeleteFunction",
                    "lambda:TagResource",
                    "lambda:UntagResource",
                ],
                resources: functions,
            },
            passRole(FUNCTION_ROLE_PATTERN, "lambda.amazonaws.com"),
        ],
    },
    "aws:lambda/eventSourceMapping:EventSourceMapping": {
        source: "provider source (internal/service/lambda/event_source_mapping.go, an older revision: CreateEventSourceMapping, GetEventSourceMapping while waiting and on read, UpdateEventSourceMapping, DeleteEventSourceMapping; its retries on 'execution role does not have permissions' show that Lambda checks the function's role, not the caller, for the queue). Tags (ListTags, TagResource, UntagResource) and the lambda:FunctionArn condition on create, update and delete are knowledge. A mapping's ARN carries a random id; CreateEventSourceMapping has no resource",
        grants: [
            {
                // No condition on the reads: whether GetEventSourceMapping carries lambda:FunctionArn
                // is not documented as clearly as for the writes, and a missing key would deny.
                access: "read",
                actions: ["lambda:GetEventSourceMapping", "lambda:ListTags"],
                resources: mappings,
            },
            {
                access: "write",
                actions: ["lambda:CreateEventSourceMapping"],
                resources: everything,
                condition: (scope) => ({ ArnLike: { "lambda:FunctionArn": functions(scope)[0] } }),
            },
            {
                access: "write",
                actions: ["lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"],
                resources: mappings,
                condition: (scope) => ({ ArnLike: { "lambda:FunctionArn": functions(scope)[0] } }),
            },
            {
                access: "write",
                actions: ["lambda:TagResource", "lambda:UntagResource"],
                resources: mappings,
            },
        ],
    },
    "aws:kms/getKey:getKey": {
        source: "provider source (internal/service/kms/key_data_source.go: DescribeKey with the alias as KeyId); KMS authorizes DescribeKey on the key the alias names, and the AWS managed key's policy admits the account's identities to read its metadata (knowledge)",
        grants: [{ access: "read", actions: ["kms:DescribeKey"], resources: keys }],
    },
    "aws:index/getCallerIdentity:getCallerIdentity": {
        source: "knowledge: sts:GetCallerIdentity needs no permission (STS API reference), so nothing to grant",
        grants: [],
    },
    "aws:index/getPartition:getPartition": {
        source: "knowledge: computed by the provider from its region, no AWS call",
        grants: [],
    },
    "aws:index/getRegion:getRegion": {
        source: "knowledge: the provider's configured region, no AWS call",
        grants: [],
    },
};

/** Whether `role` gets `grant`: the preview role gets the reads, the deploy role everything. */
export function inRole(role: DeployRole, grant: Grant): boolean {
    return role === "deploy" || grant.access === "read";
}

/** `aws:sfn/stateMachine:StateMachine` → `SfnStateMachine`: a statement id (alphanumeric). */
export function sidOf(type: string): string {
    const [, module = "", name = ""] = type.split(":");
    const service = module.split("/")[0];
    const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
    return `${capital(service)}${capital(name)}`.replace(/[^A-Za-z0-9]/g, "");
}

function statementOf(scope: DeployScope, sid: string, grant: Grant): PolicyStatement {
    const condition = grant.condition?.(scope);
    return {
        ...(condition !== undefined ? { Condition: condition } : {}),
        Sid: sid,
        Effect: "Allow",
        Action: [...grant.actions].sort(),
        Resource: grant.resources(scope),
    };
}

/**
 * The policy of `role`: one statement per grant of each type, named after the type (`SqsQueue1`),
 * in the table's order.
 */
export function deployPolicy(
    scope: DeployScope,
    role: DeployRole = "deploy",
    table: Record<string, TypePermissions> = DEPLOY_PERMISSIONS,
): PolicyDocument {
    // Numbered by the grant's place in its entry, so a statement keeps its id in both roles' documents.
    const statements = Object.entries(table).flatMap(([type, entry]) =>
        entry.grants.flatMap((grant, index) =>
            inRole(role, grant) && (grant.appliesTo?.(scope) ?? true) ? [statementOf(scope, `${sidOf(type)}${index + 1}`, grant)] : [],
        ),
    );
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * IAM's limit for all inline policies of one role together, counted without whitespace: the
 * documents are meant for `aws iam put-role-policy` (one inline policy per pipeline role).
 */
export const ROLE_INLINE_POLICY_LIMIT = 10_240;

/** A policy's size as IAM counts it against its limits: JSON without whitespace. */
export function policySize(document: PolicyDocument): number {
    return JSON.stringify(document).length;
}
