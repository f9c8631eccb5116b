/**
 * Command-line options of `npm start` (the local run) and `npm run execution` (a deployed stack),
 * parsed and checked by pure functions: every bad flag or value becomes a {@link CliError} that
 * says what was wrong, which the entry points print without a stack trace.
 */
import * as fs from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { MAX_TASK_TIMEOUT_SECONDS } from "../infra/definition";
import { MANAGED_POLICY_ARN } from "../infra/config";
import type { DeployRole } from "../infra/deploy-policy";
import { SCENARIOS, SHORT_TIMEOUT_SECONDS, type Scenario } from "./scenarios";

/** A usage error: the message is for the user; the exit code is 2. */
export class CliError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CliError";
    }
}

/** The Node.js major version the project needs (`engines` in package.json). */
export const MINIMUM_NODE_MAJOR = 22;

/** Fails with a clear message on a Node.js older than the project supports. */
export function checkNodeVersion(version: string = process.versions.node): void {
    const major = Number(version.split(".")[0]);
    if (!(major >= MINIMUM_NODE_MAJOR)) {
        throw new CliError(`Node.js ${MINIMUM_NODE_MAJOR} or later is needed; this is Node.js ${version}. See .nvmrc (e.g. \`nvm use\`).`);
    }
}

/** The console's default execution input. */
export const DEFAULT_INPUT = { Comment: "Insert your JSON here" };

// Control characters are among the characters execution names may not hold.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** Step Functions' rules for an execution name: 1 to 80 characters, none of the reserved ones. */
export function checkExecutionName(name: string, flag = "--name"): string {
    if (name.length < 1 || name.length > 80) throw new CliError(`${flag} must be 1 to 80 characters long; got ${name.length}`);
    const bad = FORBIDDEN_IN_NAME.exec(name);
    if (bad)
        throw new CliError(
            `${flag} ${JSON.stringify(name)} contains ${JSON.stringify(bad[0])}; execution names take no whitespace, brackets, wildcards or any of "#%\\^|~\`$&,;:/`,
        );
    return name;
}

/** A fresh execution name, as the console suggests one. */
export function defaultExecutionName(now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
    return `local-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

function wholeNumber(flag: string, value: string | undefined, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        throw new CliError(`${flag} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`);
    }
    return parsed;
}

/** The execution input from `--input` (JSON text) or `--input-file` (a JSON file). */
function readInput(text: string | undefined, file: string | undefined): unknown {
    if (text !== undefined && file !== undefined) throw new CliError("give --input or --input-file, not both");
    if (file !== undefined) {
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (error) {
            throw new CliError(`cannot read --input-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
    }
    if (text === undefined) return DEFAULT_INPUT;
    try {
        return JSON.parse(text) as unknown;
    } catch (error) {
        throw new CliError(`${file !== undefined ? `--input-file ${file}` : "--input"} is not valid JSON: ${(error as Error).message}`);
    }
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
    try {
        return parseArgs({ args, options, strict: true, allowPositionals: false });
    } catch (error) {
        // parseArgs' messages name the flag ("Unknown option '--foo'"); keep them, drop the trace.
        throw new CliError((error as Error).message);
    }
}

export interface StartOptions {
    help: boolean;
    stack: string;
    scenario: Scenario;
    input: unknown;
    name: string;
    executions: number;
    concurrency: number;
    json: boolean;
    /** Overrides the stack's taskTimeoutSeconds for this run. */
    taskTimeoutSeconds?: number;
}

export const START_USAGE = `Usage: npm start -- [options]

Runs the callback pattern on this machine, with the state machine definition and the Lambda
archive that \`pulumi up\` would deploy, and prints what the console shows after "Start Execution".

Options:
  --scenario NAME              ${SCENARIOS.join(" | ")} (default: success)
  --input JSON                 execution input (default: ${JSON.stringify(DEFAULT_INPUT)})
  --input-file PATH            execution input from a JSON file
  --name NAME                  execution name (default: local-<time>-<random>)
  --executions N               run N executions (default: 1) ...
  --concurrency C              ... C at a time (default: 1), and print throughput and latency
  --stack NAME                 read Pulumi.NAME.yaml (default: dev)
  --task-timeout-seconds N     the wait task's TimeoutSeconds for this run (default: the stack's;
                               ${SHORT_TIMEOUT_SECONDS} for the timeout and poison scenarios)
  --json                       print machine-readable JSON
  --help                       print this help`;

/** Parses the arguments of `npm start`. */
export function parseStartArgs(args: string[]): StartOptions {
    const { values } = parse(args, {
        help: { type: "boolean" },
        stack: { type: "string" },
        scenario: { type: "string" },
        input: { type: "string" },
        "input-file": { type: "string" },
        name: { type: "string" },
        executions: { type: "string" },
        concurrency: { type: "string" },
        json: { type: "boolean" },
        "task-timeout-seconds": { type: "string" },
    });
    const scenario = (values.scenario ?? "success") as Scenario;
    if (!SCENARIOS.includes(scenario))
        throw new CliError(`--scenario must be one of ${SCENARIOS.join(", ")}; got ${JSON.stringify(values.scenario)}`);
    const stack = values.stack ?? "dev";
    if (!/^[\w.-]+$/.test(stack)) throw new CliError(`--stack ${JSON.stringify(stack)} is not a stack name`);
    const executions = wholeNumber("--executions", values.executions, 1, 10_000) ?? 1;
    const concurrency = wholeNumber("--concurrency", values.concurrency, 1, 1000) ?? 1;
    const taskTimeoutSeconds = wholeNumber("--task-timeout-seconds", values["task-timeout-seconds"], 1, MAX_TASK_TIMEOUT_SECONDS);
    let input = readInput(values.input, values["input-file"]);
    if (scenario === "failure") {
        if (typeof input !== "object" || input === null || Array.isArray(input)) {
            throw new CliError('--scenario failure adds a "fail" field to the input, so the input must be a JSON object');
        }
        input = { fail: "Simulated failure (--scenario failure)", ...input };
    }
    const name = checkExecutionName(values.name ?? defaultExecutionName());
    // Many executions are named NAME-1 … NAME-N: the longest must still be a valid name.
    if (executions > 1) checkExecutionName(`${name}-${executions}`, "--name (with its -N suffix)");
    return {
        help: values.help ?? false,
        stack,
        scenario,
        input,
        name,
        executions,
        concurrency,
        json: values.json ?? false,
        ...(taskTimeoutSeconds !== undefined ? { taskTimeoutSeconds } : {}),
    };
}

export interface ExecutionOptions {
    help: boolean;
    stack?: string;
    stateMachineArn?: string;
    input: unknown;
    name: string;
    json: boolean;
    /** Give up waiting after this long (the execution goes on). */
    waitSeconds: number;
}

export const EXECUTION_USAGE = `Usage: npm run execution -- [options]

Starts an execution of a deployed stack's state machine, waits for it, and prints its status and
event history, as \`npm start\` does for the local run.

Options:
  --state-machine-arn ARN   the state machine (default: the stack output stateMachineArn,
                            read with \`pulumi stack output --json\`)
  --stack NAME              the Pulumi stack to read the output from (default: the selected one)
  --input JSON              execution input (default: ${JSON.stringify(DEFAULT_INPUT)})
  --input-file PATH         execution input from a JSON file
  --name NAME               execution name (default: local-<time>-<random>)
  --wait-seconds N          stop waiting after N seconds (default: 900); the execution goes on
  --json                    print machine-readable JSON
  --help                    print this help`;

const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w.-]{1,80}$/;

/** Parses the arguments of `npm run execution`. */
export function parseExecutionArgs(args: string[]): ExecutionOptions {
    const { values } = parse(args, {
        help: { type: "boolean" },
        stack: { type: "string" },
        "state-machine-arn": { type: "string" },
        input: { type: "string" },
        "input-file": { type: "string" },
        name: { type: "string" },
        json: { type: "boolean" },
        "wait-seconds": { type: "string" },
    });
    const arn = values["state-machine-arn"];
    if (arn !== undefined && !STATE_MACHINE_ARN.test(arn))
        throw new CliError(`--state-machine-arn ${JSON.stringify(arn)} is not a state machine ARN`);
    if (values.stack !== undefined && !/^[\w./-]+$/.test(values.stack))
        throw new CliError(`--stack ${JSON.stringify(values.stack)} is not a stack name`);
    return {
        help: values.help ?? false,
        ...(values.stack !== undefined ? { stack: values.stack } : {}),
        ...(arn !== undefined ? { stateMachineArn: arn } : {}),
        input: readInput(values.input, values["input-file"]),
        name: checkExecutionName(values.name ?? defaultExecutionName()),
        json: values.json ?? false,
        waitSeconds: wholeNumber("--wait-seconds", values["wait-seconds"], 1, 86_400) ?? 900,
    };
}

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
region and the resources the stack names; for \`aws iam put-role-policy\` (see README, "Deploying
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
  --help               print this help`;

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
    const { values } = parse(args, {
        help: { type: "boolean" },
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

export interface CommandSpec<T extends { help: boolean }> {
    /** How to run it, for the hint after a usage error (`npm start`). */
    command: string;
    usage: string;
    parse(args: string[]): T;
    run(options: T): Promise<void>;
    /** How to tell a failure of the run that is the user's to fix (exit code 2) from any other (1). */
    isUsageError(error: unknown): boolean;
    /** The message for a failure of the run. */
    describe(error: unknown): string;
    /** An exit code of the command's own for this failure (e.g. 3), instead of 1 or 2; undefined for the usual. */
    exitCode?(error: unknown): number | undefined;
}

/**
 * Runs a command: checks Node.js and the flags, prints help, runs it, and turns every failure
 * into one line on stderr and an exit code (2: the user's input, 1: anything else, or the
 * command's own from `exitCode`), never a stack trace. Resolves to the exit code.
 */
export async function runCommand<T extends { help: boolean }>(spec: CommandSpec<T>, argv: string[]): Promise<number> {
    let options: T;
    try {
        checkNodeVersion();
        options = spec.parse(argv);
    } catch (error) {
        console.error(`error: ${(error as Error).message}\nRun \`${spec.command} -- --help\` for the options.`);
        return 2;
    }
    if (options.help) {
        console.log(spec.usage);
        return 0;
    }
    try {
        await spec.run(options);
        return 0;
    } catch (error) {
        console.error(`error: ${spec.describe(error)}`);
        return spec.exitCode?.(error) ?? (error instanceof CliError || spec.isUsageError(error) ? 2 : 1);
    }
}
