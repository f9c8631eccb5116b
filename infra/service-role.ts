import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument } from "./iam-documents";

export interface ServiceRoleArgs {
    /** What the role is for, shown in the IAM console. */
    description: string;
    /** Who may assume the role (one service principal). */
    trustPolicy: pulumi.Input<PolicyDocument>;
    /** Everything the role may do, as one inline policy. */
    policy: pulumi.Input<PolicyDocument>;
    /** Tags for the role. */
    tags: pulumi.Input<Record<string, string>>;
    /** Optional managed policy that caps what the role may do, whatever its own policy grants. */
    permissionsBoundary?: pulumi.Input<string>;
}

/**
 * A role for one service principal with its permissions as an inline policy, children of `parent`
 * named `${name}-role` and `${name}-policy`. The policy is a separate resource, so that what needs
 * the permissions in place (an event source mapping, a state machine's log delivery) can depend on it.
 */
export function createServiceRole(
    name: string,
    args: ServiceRoleArgs,
    parent: pulumi.Resource,
): { role: aws.iam.Role; rolePolicy: aws.iam.RolePolicy } {
    const role = new aws.iam.Role(
        `${name}-role`,
        {
            description: args.description,
            assumeRolePolicy: pulumi.output(args.trustPolicy).apply((document) => JSON.stringify(document)),
            permissionsBoundary: args.permissionsBoundary,
            tags: args.tags,
        },
        { parent },
    );
    const rolePolicy = new aws.iam.RolePolicy(
        `${name}-policy`,
        { role: role.id, policy: pulumi.output(args.policy).apply((document) => JSON.stringify(document)) },
        { parent },
    );
    return { role, rolePolicy };
}
