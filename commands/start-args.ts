/** The flags of `npm start` (the local run), parsed and checked. */
import { MAX_TASK_TIMEOUT_SECONDS } from "../infra/definition";
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, SHORT_TIMEOUT_SECONDS, type ScenarioName } from "../local/scenarios";
import { checkHtmlPath } from "./page-file";
import { EXPECTED_PATHS, UNEXPECTED_PATH_EXIT_CODE, type ExpectedPath } from "../view/execution-view";
import { checkExecutionName, CliError, DEFAULT_INPUT, defaultExecutionName, parseFlags, readInput, wholeNumber } from "./cli";
import { parseExpect } from "./execution-args";

export interface StartOptions {
    help: boolean;
    stack: string;
    scenario: ScenarioName;
    input: unknown;
    name: string;
    executions: number;
    concurrency: number;
    json: boolean;
    /** Overrides the stack's taskTimeoutSeconds for this run. */
    taskTimeoutSeconds?: number;
    /** Also write the execution's page (graph, events, message, notifications) to this file. */
    html?: string;
    /** The path every execution must take, or the exit code is {@link UNEXPECTED_PATH_EXIT_CODE}. */
    expect?: ExpectedPath;
}

export const START_USAGE = `Usage: npm start -- [options]

Runs the callback pattern on this machine, with the state machine definition and the Lambda
archive that \`pulumi up\` would deploy, and prints what the console shows after "Start Execution".

Options:
  --scenario NAME              ${SCENARIO_NAMES.join(" | ")} (default: success)
  --input JSON                 execution input (default: ${JSON.stringify(DEFAULT_INPUT)})
  --input-file PATH            execution input from a JSON file (- for standard input)
  --name NAME                  execution name (default: local-<time>-<random>)
  --executions N               run N executions (default: 1) ...
  --concurrency C              ... C at a time (default: 1), and print throughput and latency
  --stack NAME                 read Pulumi.NAME.yaml (default: dev)
  --task-timeout-seconds N     the wait task's TimeoutSeconds for this run (default: the stack's;
                               ${SHORT_TIMEOUT_SECONDS} for the timeout and poison scenarios)
  --expect PATH                ${EXPECTED_PATHS.join(" | ")}: exit with ${UNEXPECTED_PATH_EXIT_CODE} (and say what happened) unless
                               every execution took that path (success: SUCCEEDED)
  --json                       print machine-readable JSON
  --html FILE                  also write a page of the execution (its graph with the path taken,
                               the events, the message, the notifications) to FILE; one execution only
  -h, --help                   print this help

Scenarios:
${SCENARIO_NAMES.map((name) => `  ${name.padEnd(29)}${SCENARIOS[name].summary}`).join("\n")}`;

/** Parses the arguments of `npm start`. */
export function parseStartArgs(args: string[]): StartOptions {
    const { values } = parseFlags(args, {
        help: { type: "boolean", short: "h" },
        stack: { type: "string" },
        scenario: { type: "string" },
        input: { type: "string" },
        "input-file": { type: "string" },
        name: { type: "string" },
        executions: { type: "string" },
        concurrency: { type: "string" },
        json: { type: "boolean" },
        "task-timeout-seconds": { type: "string" },
        html: { type: "string" },
        expect: { type: "string" },
    });
    const scenario = values.scenario ?? "success";
    if (!isScenarioName(scenario))
        throw new CliError(`--scenario must be one of ${SCENARIO_NAMES.join(", ")}; got ${JSON.stringify(values.scenario)}`);
    const stack = values.stack ?? "dev";
    if (!/^[\w.-]+$/.test(stack)) throw new CliError(`--stack ${JSON.stringify(stack)} is not a stack name`);
    const executions = wholeNumber("--executions", values.executions, 1, 10_000) ?? 1;
    const concurrency = wholeNumber("--concurrency", values.concurrency, 1, 1000) ?? 1;
    const taskTimeoutSeconds = wholeNumber("--task-timeout-seconds", values["task-timeout-seconds"], 1, MAX_TASK_TIMEOUT_SECONDS);
    // --help reads nothing, not even standard input.
    let input = values.help === true ? DEFAULT_INPUT : readInput(values.input, values["input-file"]);
    const prepare = SCENARIOS[scenario].input;
    if (prepare !== undefined) {
        try {
            input = prepare(input);
        } catch (error) {
            throw new CliError((error as Error).message);
        }
    }
    const name = checkExecutionName(values.name ?? defaultExecutionName());
    if (values.html !== undefined && executions > 1) throw new CliError("--html draws one execution: leave out --executions");
    const html = values.html !== undefined ? checkHtmlPath(values.html) : undefined;
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
        ...(html !== undefined ? { html } : {}),
        ...(values.expect !== undefined ? { expect: parseExpect(values.expect) } : {}),
    };
}
