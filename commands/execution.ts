/**
 * `npm run execution`: starts an execution of a deployed stack's state machine, shows progress
 * while it runs, then prints its status and event history with the same code as `npm start`.
 * Exit codes: 0 when the execution was started and read (unless `--expect` names a path), 2 for
 * a bad flag or input, 4 when it did not take the path `--expect` named, 1 for anything else (no
 * credentials, access denied, …); never a stack trace.
 */
import { CliError, runCommand } from "./cli";
import { EXECUTION_USAGE, parseExecutionArgs, type ExecutionOptions } from "./execution-args";
import { UNEXPECTED_PATH_EXIT_CODE, UnexpectedPathError } from "../view/execution-view";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

async function run(options: ExecutionOptions): Promise<void> {
    const { SFNClient } = await import("@aws-sdk/client-sfn");
    const { regionOf, resolveStateMachineArn, runDeployedExecution } = await import("./deployed-execution");
    const { printable, renderExecution, unexpectedPath } = await import("../view/execution-view");

    const stateMachineArn = await resolveStateMachineArn(options);
    const client = new SFNClient({ region: regionOf(stateMachineArn) });
    const tty = process.stderr.isTTY === true;
    let tick = 0;
    const view = await runDeployedExecution({
        client,
        stateMachineArn,
        name: options.name,
        input: options.input,
        waitSeconds: options.waitSeconds,
        onProgress: (status, elapsedMs) => {
            const line = `${SPINNER[tick++ % SPINNER.length]} ${printable(options.name)}: ${status} (${(elapsedMs / 1000).toFixed(0)} s)`;
            if (tty) process.stderr.write(`\r${line}\x1b[K`);
            else if (status !== "RUNNING" || tick === 1) process.stderr.write(`${line}\n`);
        },
    });
    if (tty) process.stderr.write("\r\x1b[K");
    client.destroy();
    console.log(options.json ? JSON.stringify({ execution: view }, null, 2) : renderExecution(view));
    const missed = options.expect === undefined ? undefined : unexpectedPath(options.expect, [view]);
    if (missed !== undefined) throw new UnexpectedPathError(missed);
}

void runCommand(
    {
        command: "npm run execution",
        usage: EXECUTION_USAGE,
        parse: parseExecutionArgs,
        run,
        isUsageError: () => false,
        describe: (error) => {
            const { name, message } = error as Error;
            if (name === "CredentialsProviderError") return "no AWS credentials were found (set AWS_PROFILE, or run `aws configure`)";
            return name === "Error" || error instanceof CliError || error instanceof UnexpectedPathError ? message : `${name}: ${message}`;
        },
        exitCode: (error) => (error instanceof UnexpectedPathError ? UNEXPECTED_PATH_EXIT_CODE : undefined),
    },
    process.argv.slice(2),
).then((code) => {
    process.exitCode = code;
});
