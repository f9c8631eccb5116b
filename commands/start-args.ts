/** The flags of `npm start` (the local run), parsed and checked. */
import { MAX_TASK_TIMEOUT_SECONDS } from "../infra/definition";
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, SHORT_TIMEOUT_SECONDS, type ScenarioName } from "../local/scenarios";
import { checkHtmlPath } from "./page-file";
import { EXPECTED_PATHS, UNEXPECTED_PATH_EXIT_CODE, type ExpectedPath } from "../view/execution-view";
import { checkExecutionName, CliError, DEFAULT_INPUT, defaultExecutionName, parseFlags, wholeNumber } from "./cli";
import { parseExpect } from "./execution-args";
import { DEFAULT_INPUT_TIMEOUT_SECONDS, INPUT_FLAG_OPTIONS, parseInputFlags, readExecutionInput, type InputFlags } from "./execution-input";
import type { InputSources } from "./input-file";

/**
 * The flags of `npm start`; the input is the value of `--input` (the scenario's fields added) or
 * the console's default, or `inputFile`, read by {@link readStartInput} when the run starts.
 */
export type StartOptions = InputFlags & {
    help: boolean;
    stack: string;
    scenario: ScenarioName;
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
};

export const START_USAGE = `Usage: npm start -- [options]

Runs the callback pattern on this machine, with the state machine definition and the Lambda
archive that \`pulumi up\` would deploy, and prints what the console shows after "Start Execution".

Options:
  --scenario NAME              ${SCENARIO_NAMES.join(" | ")} (default: success)
  --input JSON                 execution input (default: ${JSON.stringify(DEFAULT_INPUT)})
  --input-file PATH            execution input from a JSON file (- for standard input)
  --input-timeout-seconds N    give up reading --input-file after N seconds (default: ${DEFAULT_INPUT_TIMEOUT_SECONDS})
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
        ...INPUT_FLAG_OPTIONS,
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
    const inputFlags = parseInputFlags(values, values.help === true);
    // An input given inline is the scenario's at once, so that a bad one is refused with the flags.
    const given = inputFlags.inputFile === undefined ? { ...inputFlags, input: scenarioInput(scenario, inputFlags.input) } : inputFlags;
    const name = checkExecutionName(values.name ?? defaultExecutionName());
    if (values.html !== undefined && executions > 1) throw new CliError("--html draws one execution: leave out --executions");
    const html = values.html !== undefined ? checkHtmlPath(values.html) : undefined;
    // Many executions are named NAME-1 … NAME-N: the longest must still be a valid name.
    if (executions > 1) checkExecutionName(`${name}-${executions}`, "--name (with its -N suffix)");
    return {
        help: values.help ?? false,
        stack,
        scenario,
        ...given,
        name,
        executions,
        concurrency,
        json: values.json ?? false,
        ...(taskTimeoutSeconds !== undefined ? { taskTimeoutSeconds } : {}),
        ...(html !== undefined ? { html } : {}),
        ...(values.expect !== undefined ? { expect: parseExpect(values.expect) } : {}),
    };
}

/** The input as `scenario` runs it (the failure scenario adds its `fail` field), or a {@link CliError} saying why it cannot. */
function scenarioInput(scenario: ScenarioName, input: unknown): unknown {
    const prepare = SCENARIOS[scenario].input;
    if (prepare === undefined) return input;
    try {
        return prepare(input);
    } catch (error) {
        throw new CliError((error as Error).message);
    }
}

/**
 * The execution input of a parsed `npm start`: `--input`'s as parsed, or `--input-file`'s read
 * (bounded by `--input-timeout-seconds`, or `deadline`) and made the scenario's.
 */
export async function readStartInput(options: StartOptions, deadline?: number, sources?: InputSources): Promise<unknown> {
    if (options.inputFile === undefined) return options.input;
    return scenarioInput(options.scenario, await readExecutionInput(options, deadline, sources));
}
