/**
 * `npm run deploy-policy`: prints the IAM policy of the identity that deploys (or previews) the
 * stack, built by `infra/deploy-policy.ts` for the given account, region and partition. It reads
 * `Pulumi.yaml` for the project name and calls nothing in AWS. Exit codes: 0 with the JSON on
 * stdout, 2 for a bad flag, 1 for anything else; never a stack trace.
 */
import { CliError, runAsMain, type CommandSpec } from "./cli";
import { DEPLOY_POLICY_USAGE, parseDeployPolicyArgs, type DeployPolicyOptions } from "./deploy-policy-args";

async function run(options: DeployPolicyOptions): Promise<void> {
    const { deployPolicy } = await import("../infra/deploy-policy");
    const project = options.project ?? (await import("../local/stack-config")).projectName();
    const document = deployPolicy(
        {
            accountId: options.accountId,
            region: options.region,
            partition: options.partition,
            project,
            permissionsBoundaryArn: options.permissionsBoundaryArn,
        },
        options.role,
    );
    console.log(JSON.stringify(document, null, 2));
}

/** The command as `runCommand` runs it: exported so that the tests can run it in their own process. */
export const spec = {
    command: "npm run deploy-policy",
    usage: DEPLOY_POLICY_USAGE,
    parse: parseDeployPolicyArgs,
    run,
    isUsageError: () => false,
    describe: (error) => (error instanceof CliError ? error.message : `${(error as Error).name}: ${(error as Error).message}`),
} satisfies CommandSpec<ReturnType<typeof parseDeployPolicyArgs>>;

// Runs when started as a command (npm run …), not when a test loads the spec.
void runAsMain(module, spec);
