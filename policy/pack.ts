/**
 * The CrossGuard policies of this stack, built from the pure rules in `rules.ts`. Every policy is
 * mandatory unless the pack's configuration says otherwise (`pulumi preview --policy-pack policy
 * --policy-pack-config policy/config.example.json`).
 */
import type { Policy, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { checkResource, DEFAULT_RULE_CONFIG, RESOURCE_RULES, STACK_RULES, UNKNOWN, type CheckedResource, type RuleConfig } from "./rules";

// The policy engine hands over properties wrapped in a proxy that throws on any value the preview
// does not know yet; the whole policy would then be skipped. Its internal module (no typings)
// exposes the proxy's target and the markers of unknown values, so that the rules can see them.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of @pulumi/policy (pinned version)
const proxy = require("@pulumi/policy/proxy") as Record<string, unknown> & { getSpecialProxyTarget: string };
const UNKNOWN_MARKERS = new Set(
    [
        "unknownBooleanValue",
        "unknownNumberValue",
        "unknownStringValue",
        "unknownArrayValue",
        "unknownAssetValue",
        "unknownArchiveValue",
        "unknownObjectValue",
    ].map((name) => proxy[name]),
);

/** A plain copy of properties, with {@link UNKNOWN} where the preview does not know a value. */
export function snapshot(value: unknown): unknown {
    const raw =
        value !== null && typeof value === "object" ? ((value as Record<string, unknown>)[proxy.getSpecialProxyTarget] ?? value) : value;
    if (UNKNOWN_MARKERS.has(raw)) return UNKNOWN;
    if (Array.isArray(raw)) return raw.map(snapshot);
    if (raw !== null && typeof raw === "object") return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, snapshot(v)]));
    return raw;
}

/** The settings some rules take (defaults in `DEFAULT_RULE_CONFIG`); every rule takes a level. */
const schemas: Record<string, PolicyConfigSchema> = {
    "lambda-supported-nodejs-runtime": {
        properties: { nodejsRuntimes: { type: "array", items: { type: "string" }, default: DEFAULT_RULE_CONFIG.nodejsRuntimes } },
    },
    "iam-no-wildcard-actions": {
        properties: { allowedManagedPolicyArns: { type: "array", items: { type: "string" }, default: [] } },
    },
    "iam-no-external-managed-policies": {
        properties: { allowedCustomerManagedPolicyArns: { type: "array", items: { type: "string" }, default: [] } },
    },
    "iam-no-wildcard-resources": {
        properties: {
            actionsWithoutResource: { type: "array", items: { type: "string" }, default: DEFAULT_RULE_CONFIG.actionsWithoutResource },
        },
    },
    "resource-policy-not-public": {
        properties: {
            serviceGrantsWithoutCondition: {
                type: "array",
                items: {
                    type: "object",
                    properties: { service: { type: "string" }, actions: { type: "array", items: { type: "string" } } },
                    required: ["service", "actions"],
                },
                default: DEFAULT_RULE_CONFIG.serviceGrantsWithoutCondition,
            },
        },
    },
    "iam-trust-confused-deputy": {
        properties: {
            trustConditionKeys: {
                type: "object",
                additionalProperties: { type: "array", items: { type: "string" } },
                default: DEFAULT_RULE_CONFIG.trustConditionKeys,
            },
        },
    },
};

function ruleConfig(args: { getConfig<T extends object>(): T }): RuleConfig {
    const config = args.getConfig<Partial<RuleConfig>>();
    return {
        nodejsRuntimes: config.nodejsRuntimes ?? DEFAULT_RULE_CONFIG.nodejsRuntimes,
        allowedManagedPolicyArns: config.allowedManagedPolicyArns ?? DEFAULT_RULE_CONFIG.allowedManagedPolicyArns,
        trustConditionKeys: config.trustConditionKeys ?? DEFAULT_RULE_CONFIG.trustConditionKeys,
        allowedCustomerManagedPolicyArns: config.allowedCustomerManagedPolicyArns ?? DEFAULT_RULE_CONFIG.allowedCustomerManagedPolicyArns,
        serviceGrantsWithoutCondition: config.serviceGrantsWithoutCondition ?? DEFAULT_RULE_CONFIG.serviceGrantsWithoutCondition,
        actionsWithoutResource: config.actionsWithoutResource ?? DEFAULT_RULE_CONFIG.actionsWithoutResource,
    };
}

export const policies: Policy[] = [
    ...RESOURCE_RULES.map((rule) => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory" as const,
        ...(schemas[rule.name] ? { configSchema: schemas[rule.name] } : {}),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            const props = snapshot(args.props) as Record<string, unknown>;
            for (const violation of checkResource(rule, { type: args.type, name: args.name, props }, ruleConfig(args))) report(violation);
        },
    })),
    ...STACK_RULES.map((rule) => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory" as const,
        ...(schemas[rule.name] ? { configSchema: schemas[rule.name] } : {}),
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const resources: CheckedResource[] = args.resources.map((r) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: snapshot(r.props) as Record<string, unknown>,
                propertyDependencies: Object.fromEntries(
                    Object.entries(r.propertyDependencies ?? {}).map(([key, deps]) => [key, deps.map((d) => d.urn)]),
                ),
            }));
            for (const violation of rule.check(resources, ruleConfig(args))) report(violation);
        },
    })),
];
