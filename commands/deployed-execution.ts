/**
 * `npm run execution`'s core: start an execution of a deployed stack's state machine, wait for it,
 * and build the same view as the local run from `GetExecutionHistory`. The client and the reading
 * of the stack's outputs are arguments, so tests run it without AWS or the Pulumi CLI.
 */
import { execFile } from "node:child_process";
import {
    DescribeExecutionCommand,
    GetExecutionHistoryCommand,
    StartExecutionCommand,
    type HistoryEvent,
    type SFNClient,
} from "@aws-sdk/client-sfn";
import { CliError } from "./cli";
import { viewFromHistory, type ExecutionStatus, type ExecutionView } from "../view/execution-view";

/** Runs `pulumi stack output --json` and returns the outputs. */
export function readPulumiStackOutputs(stack?: string): Promise<Record<string, unknown>> {
    const args = ["stack", "output", "--json", ...(stack !== undefined ? ["--stack", stack] : [])];
    return new Promise((resolve, reject) => {
        execFile("pulumi", args, { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
            if (error !== null) {
                const code = (error as NodeJS.ErrnoException).code;
                reject(
                    new CliError(
                        code === "ENOENT"
                            ? "the Pulumi CLI was not found, so the stack's outputs cannot be read: pass --state-machine-arn ARN"
                            : `\`pulumi ${args.join(" ")}\` failed: ${(stderr || error.message).trim()}`,
                    ),
                );
                return;
            }
            try {
                resolve(JSON.parse(stdout) as Record<string, unknown>);
            } catch {
                reject(new CliError(`\`pulumi ${args.join(" ")}\` printed something that is not JSON`));
            }
        });
    });
}

/** The state machine to run: `--state-machine-arn`, or the stack's `stateMachineArn` output. */
export async function resolveStateMachineArn(
    options: { stateMachineArn?: string; stack?: string },
    readOutputs: (stack?: string) => Promise<Record<string, unknown>> = readPulumiStackOutputs,
): Promise<string> {
    if (options.stateMachineArn !== undefined) return options.stateMachineArn;
    const outputs = await readOutputs(options.stack);
    const arn = outputs.stateMachineArn;
    if (typeof arn !== "string" || arn === "") {
        throw new CliError(
            `the stack${options.stack !== undefined ? ` ${options.stack}` : ""} has no stateMachineArn output: is it deployed (\`pulumi up\`)?`,
        );
    }
    return arn;
}

/** The region an ARN names. */
export function regionOf(arn: string): string {
    const region = arn.split(":")[3];
    if (!region) throw new CliError(`${arn} names no region`);
    return region;
}

export interface DeployedExecutionArgs {
    client: Pick<SFNClient, "send">;
    stateMachineArn: string;
    name: string;
    input: unknown;
    /** Stop waiting after this long; the view then says RUNNING. */
    waitSeconds: number;
    /** Between two DescribeExecution calls. */
    pollMs?: number;
    /** Told the execution's ARN as soon as it exists. */
    onStarted?: (executionArn: string) => void;
    /** Told the status while waiting (for a progress indicator). */
    onProgress?: (status: string, elapsedMs: number) => void;
}

/** Starts the execution, waits for it (or for `waitSeconds`), and returns its view. */
export async function runDeployedExecution(args: DeployedExecutionArgs): Promise<ExecutionView> {
    const { client, stateMachineArn, name } = args;
    const started = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(args.input) }));
    const executionArn = started.executionArn;
    if (executionArn === undefined) throw new Error("StartExecution returned no executionArn");
    args.onStarted?.(executionArn);
    const begin = Date.now();
    let status: ExecutionStatus;
    for (;;) {
        const described = await client.send(new DescribeExecutionCommand({ executionArn }));
        status = (described.status ?? "RUNNING") as ExecutionStatus;
        args.onProgress?.(status, Date.now() - begin);
        if (status !== "RUNNING" || Date.now() - begin >= args.waitSeconds * 1000) break;
        await new Promise((resolve) => setTimeout(resolve, args.pollMs ?? 1000));
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
        const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
    } while (nextToken !== undefined);
    const view = viewFromHistory({ name, source: stateMachineArn, status, events });
    if (status === "RUNNING") {
        view.notes = [
            `still running after ${args.waitSeconds} s; follow it with: aws stepfunctions describe-execution --execution-arn ${executionArn}`,
        ];
    }
    return view;
}
