/**
 * The CrossGuard policies of this stack, built from the pure rules in `rules.ts`. Every policy is
 * mandatory unless the pack's configuration says otherwise (`pulumi preview --policy-pack policy
 * --policy-pack-config policy-config.json`, with e.g. `{"sfn-callback-timeout": "advisory"}`).
 */
import type { Policy, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { checkResource, DEFAULT_RULE_CONFIG, RESOURCE_RULES, STACK_RULES, type RuleConfig } from "./rules";

/** The runtime list of the Lambda rule can be configured; every other rule takes only its level. */
const runtimeSchema: PolicyConfigSchema = {
    properties: {
        nodejsRuntimes: { type: "array", items: { type: "string" }, default: DEFAULT_RULE_CONFIG.nodejsRuntimes },
    },
};

function ruleConfig(args: { getConfig<T extends object>(): T }): RuleConfig {
    const { nodejsRuntimes } = args.getConfig<Partial<RuleConfig>>();
    return { nodejsRuntimes: nodejsRuntimes ?? DEFAULT_RULE_CONFIG.nodejsRuntimes };
}

export const policies: Policy[] = [
    ...RESOURCE_RULES.map((rule) => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory" as const,
        ...(rule.name === "lambda-supported-nodejs-runtime" ? { configSchema: runtimeSchema } : {}),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            for (const violation of checkResource(rule, args.type, args.props, ruleConfig(args))) report(violation);
        },
    })),
    ...STACK_RULES.map((rule) => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory" as const,
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const resources = args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }));
            for (const violation of rule.check(resources, ruleConfig(args))) report(violation);
        },
    })),
];
