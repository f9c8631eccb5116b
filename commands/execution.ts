/**
 * `npm run execution`: starts an execution of a deployed stack's state machine, prints its ARN
 * (stderr) as soon as it exists, shows progress while it runs, then prints its status and event
 * history with the same code as `npm start`.
 *
 * Exit codes, never with a stack trace:
 * - 0: the execution was started and its history read (whatever its status, RUNNING included),
 *   unless `--expect` names a path it did not take;
 * - 2: the user's input: a bad flag or input, or an answer that says so (`StateMachineDoesNotExist`,
 *   `InvalidArn`, `ExecutionAlreadyExists`, … see `USER_INPUT_ERRORS` in `deployed-execution.ts`);
 * - 4: `--expect` named a path the execution did not take (one line says what happened instead);
 * - 1: anything else: no credentials, access denied, throttling or 5xx answers past the retries, an
 *   answer that is not Step Functions' JSON, no answer within the time limits. Once StartExecution
 *   has answered, the message names the execution and the command to follow it.
 */
import { CliError, runAsMain, type CommandSpec } from "./cli";
import type { ServiceCallError } from "./deployed-execution";
import { EXECUTION_USAGE, expectExitCode, expectPath, parseExecutionArgs, type ExecutionOptions } from "./execution-args";
import { readExecutionInput } from "./execution-input";
import { UnexpectedPathError } from "../view/execution-view";

/** A failed call to Step Functions, told by name: importing the class would load the SDK for `--help` too. */
function isServiceCallError(error: unknown): error is ServiceCallError {
    return error instanceof Error && error.name === "ServiceCallError";
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

async function run(options: ExecutionOptions): Promise<void> {
    // First: a bad or never-ending input ends the run before anything is resolved or called.
    const input = await readExecutionInput(options);
    const { createExecutionClient, regionOf, resolveStateMachineArn, runDeployedExecution } = await import("./deployed-execution");
    const { printable, renderExecution } = await import("../view/execution-view");

    const stateMachineArn = await resolveStateMachineArn(options);
    const client = createExecutionClient({ region: regionOf(stateMachineArn) });
    const tty = process.stderr.isTTY === true;
    let tick = 0;
    let executionArn: string | undefined;
    try {
        const view = await runDeployedExecution({
            client,
            stateMachineArn,
            name: options.name,
            input,
            waitSeconds: options.waitSeconds,
            onStarted: (arn) => {
                executionArn = arn;
                // On stderr at once: whatever happens next, the user knows which execution to look at.
                process.stderr.write(`started ${arn}\n`);
            },
            onProgress: (status, elapsedMs) => {
                const line = `${SPINNER[tick++ % SPINNER.length]} ${printable(options.name)}: ${status} (${(elapsedMs / 1000).toFixed(0)} s)`;
                if (tty) process.stderr.write(`\r${line}\x1b[K`);
                else if (status !== "RUNNING" || tick === 1) process.stderr.write(`${line}\n`);
            },
        }).finally(() => {
            if (tty) process.stderr.write("\r\x1b[K");
        });
        console.log(options.json ? JSON.stringify({ execution: view }, null, 2) : renderExecution(view));
        if (options.html !== undefined && executionArn !== undefined) {
            const { writeDeployedExecutionPage } = await import("./execution-definition");
            await writeDeployedExecutionPage({ client, executionArn, view, file: options.html });
            console.error(`page written to ${options.html}`);
        }
        expectPath(options, [view]);
    } finally {
        client.destroy();
    }
}

/** The command as `runCommand` runs it: exported so that the tests can run it in their own process. */
export const spec = {
    command: "npm run execution",
    usage: EXECUTION_USAGE,
    parse: parseExecutionArgs,
    run,
    isUsageError: (error) => isServiceCallError(error) && error.userInput,
    describe: (error) => {
        const { name, message } = error as Error;
        if (name === "CredentialsProviderError") return "no AWS credentials were found (set AWS_PROFILE, or run `aws configure`)";
        return name === "Error" || error instanceof CliError || isServiceCallError(error) || error instanceof UnexpectedPathError
            ? message
            : `${name}: ${message}`;
    },
    exitCode: expectExitCode,
} satisfies CommandSpec<ReturnType<typeof parseExecutionArgs>>;

// Runs when started as a command (npm run …), not when a test loads the spec.
void runAsMain(module, spec).then((code) => {
    // A call cut short by its deadline may leave the SDK's retry backoff timer behind (up to 20 s):
    // once the error is on stderr (nothing went to stdout), exit instead of waiting for it.
    if (code !== undefined && code !== 0) process.stderr.write("", () => process.exit(code));
});
