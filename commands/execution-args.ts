/** The flags of `npm run execution` (an execution of a deployed stack), parsed and checked. */
import { checkHtmlPath } from "./page-file";
import {
    EXPECTED_PATHS,
    UNEXPECTED_PATH_EXIT_CODE,
    UnexpectedPathError,
    unexpectedPath,
    type ExecutionView,
    type ExpectedPath,
} from "../view/execution-view";
import { checkExecutionName, CliError, DEFAULT_INPUT, defaultExecutionName, parseFlags, wholeNumber } from "./cli";
import { DEFAULT_INPUT_TIMEOUT_SECONDS, INPUT_FLAG_OPTIONS, parseInputFlags, type InputFlags } from "./execution-input";

/** The flags of `npm run execution`; the input is `--input`'s or the default, or `inputFile`, read when the run starts. */
export type ExecutionOptions = InputFlags & {
    help: boolean;
    stack?: string;
    stateMachineArn?: string;
    name: string;
    json: boolean;
    /** Give up waiting after this long (the execution goes on). */
    waitSeconds: number;
    /** Also write the execution's page (graph, events, message, notifications) to this file. */
    html?: string;
    /** The path the execution must take, or the exit code is {@link UNEXPECTED_PATH_EXIT_CODE}. */
    expect?: ExpectedPath;
};

/** The value of `--expect` (both commands take it). */
export function parseExpect(value: string): ExpectedPath {
    const path = EXPECTED_PATHS.find((p) => p === value);
    if (path === undefined) throw new CliError(`--expect must be ${EXPECTED_PATHS.join(" or ")}; got ${JSON.stringify(value)}`);
    return path;
}

/** Fails the run with an {@link UnexpectedPathError} when `--expect` named a path one of `views` did not take (both commands). */
export function expectPath(options: { expect?: ExpectedPath }, views: ExecutionView[]): void {
    const missed = options.expect === undefined ? undefined : unexpectedPath(options.expect, views);
    if (missed !== undefined) throw new UnexpectedPathError(missed);
}

/** The exit code of a run that `--expect` failed ({@link UNEXPECTED_PATH_EXIT_CODE}); undefined for any other failure. */
export function expectExitCode(error: unknown): number | undefined {
    return error instanceof UnexpectedPathError ? UNEXPECTED_PATH_EXIT_CODE : undefined;
}

export const EXECUTION_USAGE = `Usage: npm run execution -- [options]

Starts an execution of a deployed stack's state machine, waits for it, and prints its status and
event history, as \`npm start\` does for the local run.

Options:
  --state-machine-arn ARN   the state machine, or a version (…:NAME:7) or alias (…:NAME:PROD) of it
                            (default: the stack output stateMachineArn, read with
                            \`pulumi stack output --json\`)
  --stack NAME              the Pulumi stack to read the output from (default: the selected one)
  --input JSON              execution input (default: ${JSON.stringify(DEFAULT_INPUT)})
  --input-file PATH         execution input from a JSON file (- for standard input)
  --input-timeout-seconds N give up reading --input-file after N seconds (default: ${DEFAULT_INPUT_TIMEOUT_SECONDS})
  --name NAME               execution name (default: local-<time>-<random>)
  --wait-seconds N          stop waiting after N seconds, the start included (default: 900);
                            the execution goes on
  --expect PATH             ${EXPECTED_PATHS.join(" | ")}: exit with ${UNEXPECTED_PATH_EXIT_CODE} (and say what happened) unless the
                            execution took that path (success: SUCCEEDED; still RUNNING is neither)
  --json                    print machine-readable JSON
  --html FILE               also write a page of the execution (the graph of the definition it
                            ran, with the path taken; the events, the message, the notifications)
  -h, --help                print this help`;

/**
 * The state machine ARNs StartExecution takes: unqualified (`…:stateMachine:NAME`), a version's
 * (`…:stateMachine:NAME:7`: a version number, from 1) or an alias's (`…:stateMachine:NAME:PROD`: an
 * alias name, 1 to 80 letters, digits, `-`, `_` or `.`, not all digits, as CreateStateMachineAlias
 * requires). A Distributed Map state's (`…:NAME/label`) is refused: StartExecution refuses it too.
 */
export const STATE_MACHINE_ARN =
    /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w.-]{1,80}(?::(?:[1-9]\d{0,18}|(?=[\w.-]*[A-Za-z_.-])[\w.-]{1,80}))?$/;

/** Parses the arguments of `npm run execution`. */
export function parseExecutionArgs(args: string[]): ExecutionOptions {
    const { values } = parseFlags(args, {
        help: { type: "boolean", short: "h" },
        stack: { type: "string" },
        "state-machine-arn": { type: "string" },
        ...INPUT_FLAG_OPTIONS,
        name: { type: "string" },
        json: { type: "boolean" },
        "wait-seconds": { type: "string" },
        html: { type: "string" },
        expect: { type: "string" },
    });
    const arn = values["state-machine-arn"];
    if (arn !== undefined && !STATE_MACHINE_ARN.test(arn))
        throw new CliError(
            `--state-machine-arn ${JSON.stringify(arn)} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME, optionally :VERSION or :ALIAS)`,
        );
    if (values.stack !== undefined && !/^[\w./-]+$/.test(values.stack))
        throw new CliError(`--stack ${JSON.stringify(values.stack)} is not a stack name`);
    return {
        help: values.help ?? false,
        ...(values.stack !== undefined ? { stack: values.stack } : {}),
        ...(arn !== undefined ? { stateMachineArn: arn } : {}),
        ...parseInputFlags(values, values.help === true),
        name: checkExecutionName(values.name ?? defaultExecutionName()),
        json: values.json ?? false,
        waitSeconds: wholeNumber("--wait-seconds", values["wait-seconds"], 1, 86_400) ?? 900,
        ...(values.html !== undefined ? { html: checkHtmlPath(values.html) } : {}),
        ...(values.expect !== undefined ? { expect: parseExpect(values.expect) } : {}),
    };
}
