/** The flags of `npm run execution` (an execution of a deployed stack), parsed and checked. */
import { EXPECTED_PATHS, UNEXPECTED_PATH_EXIT_CODE, type ExpectedPath } from "../view/execution-view";
import { checkExecutionName, CliError, DEFAULT_INPUT, defaultExecutionName, parseFlags, readInput, wholeNumber } from "./cli";

export interface ExecutionOptions {
    help: boolean;
    stack?: string;
    stateMachineArn?: string;
    input: unknown;
    name: string;
    json: boolean;
    /** Give up waiting after this long (the execution goes on). */
    waitSeconds: number;
    /** The path the execution must take, or the exit code is {@link UNEXPECTED_PATH_EXIT_CODE}. */
    expect?: ExpectedPath;
}

/** The value of `--expect` (both commands take it). */
export function parseExpect(value: string): ExpectedPath {
    const path = EXPECTED_PATHS.find((p) => p === value);
    if (path === undefined) throw new CliError(`--expect must be ${EXPECTED_PATHS.join(" or ")}; got ${JSON.stringify(value)}`);
    return path;
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
  --expect PATH             ${EXPECTED_PATHS.join(" | ")}: exit with ${UNEXPECTED_PATH_EXIT_CODE} (and say what happened) unless the
                            execution took that path (success: SUCCEEDED; still RUNNING is neither)
  --json                    print machine-readable JSON
  --help                    print this help`;

const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w.-]{1,80}$/;

/** Parses the arguments of `npm run execution`. */
export function parseExecutionArgs(args: string[]): ExecutionOptions {
    const { values } = parseFlags(args, {
        help: { type: "boolean" },
        stack: { type: "string" },
        "state-machine-arn": { type: "string" },
        input: { type: "string" },
        "input-file": { type: "string" },
        name: { type: "string" },
        json: { type: "boolean" },
        "wait-seconds": { type: "string" },
        expect: { type: "string" },
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
        ...(values.expect !== undefined ? { expect: parseExpect(values.expect) } : {}),
    };
}
