/** The flags of `npm run deploy-policy`, parsed and checked. */
import { MANAGED_POLICY_ARN } from "../infra/config";
import type { DeployRole } from "../infra/deploy-policy";
import { CliError, parseFlags } from "./cli";

export interface DeployPolicyOptions {
    help: boolean;
    accountId: string;
    region: string;
    partition: string;
    role: DeployRole;
    /** The `pulumi:project` tag value; Pulumi.yaml's name when omitted. */
    project?: string;
    /** The stack's `permissionsBoundaryArn`, when it sets one. */
    permissionsBoundaryArn?: string;
}

export const DEPLOY_POLICY_USAGE = `Usage: npm run --silent deploy-policy -- --account-id ID --region REGION [options]

Prints the IAM policy (JSON) of an identity that deploys this stack, scoped to the account, the
region and the resources the stack names; for \`aws iam put-role-policy\` (see docs/permissions.md, "Deploying
identity"). Nothing is sent to AWS.

Options:
  --account-id ID      the 12-digit AWS account the stack deploys to (required)
  --region REGION      the stack's region, e.g. eu-west-1 (required)
  --partition NAME     aws | aws-cn | aws-us-gov | … (default: the region's)
  --role ROLE          deploy: pulumi up, destroy and refresh (default);
                       preview: pulumi preview (reads, and the state machine definition check)
  --project NAME       the pulumi:project tag of the stack's resources (default: Pulumi.yaml's name)
  --permissions-boundary ARN
                       the stack's permissionsBoundaryArn: roles may then be created and given
                       inline policies only with that boundary
  -h, --help           print this help`;

/** Region name prefixes of the partitions other than `aws` (longest first, so `us-isob` wins over `us-iso`). */
const PARTITION_OF_REGION_PREFIX: [string, string][] = [
    ["us-isob-", "aws-iso-b"],
    ["us-isof-", "aws-iso-f"],
    ["eu-isoe-", "aws-iso-e"],
    ["us-iso-", "aws-iso"],
    ["us-gov-", "aws-us-gov"],
    ["cn-", "aws-cn"],
    ["eusc-", "aws-eusc"],
];

/** The partition a region belongs to, from its name. */
export function partitionOfRegion(region: string): string {
    return PARTITION_OF_REGION_PREFIX.find(([prefix]) => region.startsWith(prefix))?.[1] ?? "aws";
}

const DEPLOY_ROLES: readonly DeployRole[] = ["deploy", "preview"];

/** Parses the arguments of `npm run deploy-policy`. */
export function parseDeployPolicyArgs(args: string[]): DeployPolicyOptions {
    const { values } = parseFlags(args, {
        help: { type: "boolean", short: "h" },
        "account-id": { type: "string" },
        region: { type: "string" },
        partition: { type: "string" },
        role: { type: "string" },
        project: { type: "string" },
        "permissions-boundary": { type: "string" },
    });
    const help = values.help ?? false;
    const required = (flag: "account-id" | "region", example: string): string => {
        const value = values[flag];
        // --help alone prints the usage: no flag is required then.
        if (value === undefined && !help) throw new CliError(`--${flag} is required (e.g. --${flag} ${example})`);
        return value ?? "";
    };
    const accountId = required("account-id", "123456789012");
    const region = required("region", "eu-west-1");
    if (!help && !/^\d{12}$/.test(accountId)) throw new CliError(`--account-id must be 12 digits; got ${JSON.stringify(accountId)}`);
    if (!help && !/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/.test(region))
        throw new CliError(`--region ${JSON.stringify(region)} is not a region name (like eu-west-1)`);
    const partition = values.partition ?? partitionOfRegion(region);
    if (!/^aws(-[a-z]+)*$/.test(partition))
        throw new CliError(`--partition ${JSON.stringify(partition)} is not a partition (like aws, aws-cn)`);
    if (!help && partition !== partitionOfRegion(region))
        throw new CliError(`--partition ${partition} does not hold --region ${region} (its partition is ${partitionOfRegion(region)})`);
    const role = (values.role ?? "deploy") as DeployRole;
    if (!DEPLOY_ROLES.includes(role))
        throw new CliError(`--role must be one of ${DEPLOY_ROLES.join(", ")}; got ${JSON.stringify(values.role)}`);
    if (values.project !== undefined && !/^[\w.-]{1,100}$/.test(values.project))
        throw new CliError(`--project ${JSON.stringify(values.project)} is not a Pulumi project name`);
    const boundary = values["permissions-boundary"];
    if (boundary !== undefined && !MANAGED_POLICY_ARN.test(boundary))
        throw new CliError(`--permissions-boundary ${JSON.stringify(boundary)} is not the ARN of an IAM managed policy`);
    return {
        help,
        accountId,
        region,
        partition,
        role,
        ...(values.project !== undefined ? { project: values.project } : {}),
        ...(boundary !== undefined ? { permissionsBoundaryArn: boundary } : {}),
    };
}
