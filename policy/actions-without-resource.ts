/**
 * IAM actions that take no resource ARN, so that IAM evaluates them against `"*"`: the only ones the
 * stack's roles are granted on `"*"` (`infra/iam-documents.ts`), and the ones the pack's
 * `iam-no-wildcard-resources` rule lets an identity policy grant there by default (`rules.ts`).
 *
 * They live in the pack, and the stack imports them, because the pack has to stay self-contained:
 * `pulumi policy publish` uploads what `npm pack` packs of this folder, and nothing outside it.
 */

/**
 * What setting up vended log delivery takes (Step Functions developer guide, "IAM policies for
 * logging to CloudWatch Logs"): of the state machine's role, and of whoever creates or updates a
 * state machine with logging. None of these actions takes a resource ARN.
 */
export const LOG_DELIVERY_ACTIONS: readonly string[] = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
];

/** What a traced service's role needs to write X-Ray traces. None of these actions takes a resource ARN. */
export const XRAY_TRACING_ACTIONS: readonly string[] = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
];
