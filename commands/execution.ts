/**
 * `npm run execution`: starts an execution of a deployed stack's state machine, shows progress
 * while it runs, then prints its status and event history with the same code as `npm start`.
 * Exit codes: 0 when the execution was started and read, 2 for a bad flag or input, 1 for
 * anything else (no credentials, access denied, …); never a stack trace.
 */
import { CliError, runCommand } from "./cli";
import { EXECUTION_USAGE, parseExecutionArgs, type ExecutionOptions } from "./execution-args";

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

async function run(options: ExecutionOptions): Promise<void> {
    const { SFNClient } = await import("@aws-sdk/client-sfn");
    const { regionOf, resolveStateMachineArn, runDeployedExecution } = await import("./deployed-execution");
    const { printable, renderExecution } = await import("../view/execution-view");

    const stateMachineArn = await resolveStateMachineArn(options);
    const client = new SFNClient({ region: regionOf(stateMachineArn) });
    const tty = process.stderr.isTTY === true;
    let tick = 0;
    let executionArn: string | undefined;
    const view = await runDeployedExecution({
        client,
        stateMachineArn,
        name: options.name,
        input: options.input,
        waitSeconds: options.waitSeconds,
        onStarted: (arn) => (executionArn = arn),
        onProgress: (status, elapsedMs) => {
            const line = `${SPINNER[tick++ % SPINNER.length]} ${printable(options.name)}: ${status} (${(elapsedMs / 1000).toFixed(0)} s)`;
            if (tty) process.stderr.write(`\r${line}\x1b[K`);
            else if (status !== "RUNNING" || tick === 1) process.stderr.write(`${line}\n`);
        },
    });
    if (tty) process.stderr.write("\r\x1b[K");
    console.log(options.json ? JSON.stringify({ execution: view }, null, 2) : renderExecution(view));
    if (options.html !== undefined && executionArn !== undefined) {
        const { writeDeployedExecutionPage } = await import("./execution-definition");
        await writeDeployedExecutionPage({ client, executionArn, view, file: options.html });
        console.error(`page written to ${options.html}`);
    }
    client.destroy();
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
            return name === "Error" || error instanceof CliError ? message : `${name}: ${message}`;
        },
    },
    process.argv.slice(2),
).then((code) => {
    process.exitCode = code;
});
