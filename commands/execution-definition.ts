/**
 * The definition a deployed execution ran, for the graph of `npm run execution -- --html FILE`:
 * one `DescribeStateMachineForExecution` call, time-limited and worded as the command's other
 * calls are ({@link callWithin}). It never fails the command: the page is still worth having
 * without the graph, so a failure comes back as the reason to show.
 */
import { DescribeStateMachineForExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { renderExecutionPage } from "../view/execution-page";
import type { ExecutionView } from "../view/execution-view";
import { callWithin, describeAnswer, ServiceCallError } from "./deployed-execution";
import { writePageFile } from "./page-file";

/** How long the call may take before the page is written without the graph. */
export const DEFINITION_TIMEOUT_MS = 10_000;

/** The parsed definition, or why there is none (shown on the page where the graph would be). */
export type ExecutionDefinition = { definition: unknown } | { missing: string };

/** Fetches and parses the definition of the state machine version the execution ran. */
export async function fetchExecutionDefinition(
    client: Pick<SFNClient, "send">,
    executionArn: string,
    timeoutMs: number = DEFINITION_TIMEOUT_MS,
): Promise<ExecutionDefinition> {
    const call = "DescribeStateMachineForExecution";
    const command = new DescribeStateMachineForExecutionCommand({ executionArn });
    let answer;
    try {
        answer = await callWithin(call, timeoutMs, command, (abortSignal) => client.send(command, { abortSignal }), {});
    } catch (error) {
        // A ServiceCallError already says what the service answered; anything else (no credentials) is named the same way.
        return { missing: error instanceof ServiceCallError ? error.message : `${call} failed: ${describeAnswer(error)}` };
    }
    if (typeof answer.definition !== "string") return { missing: `${call} returned no definition` };
    try {
        return { definition: JSON.parse(answer.definition) as unknown };
    } catch {
        return { missing: `${call} returned a definition that is not JSON` };
    }
}

/**
 * `npm run execution -- --html FILE`: the page of a deployed execution, with the graph of the
 * definition it ran, or, when that cannot be had, the page without it and the reason.
 */
export async function writeDeployedExecutionPage(args: {
    client: Pick<SFNClient, "send">;
    executionArn: string;
    view: ExecutionView;
    file: string;
    timeoutMs?: number;
}): Promise<void> {
    const found = await fetchExecutionDefinition(args.client, args.executionArn, args.timeoutMs);
    const page = renderExecutionPage({
        view: args.view,
        ...("definition" in found ? { definition: found.definition } : { graphMissing: found.missing }),
    });
    writePageFile(args.file, page);
}
