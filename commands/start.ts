/**
 * `npm start`: the callback pattern end to end on this machine, without AWS (see
 * `local-workflow.ts`). Prints what the console shows after "Start Execution", or JSON with
 * `--json`. Exit codes: 0 when the run completed (whatever the execution's status, unless
 * `--expect` names a path), 2 for a bad flag, input or stack configuration, 4 when an execution
 * did not take the path `--expect` named, 1 for anything else; never a stack trace.
 */
import { ConfigError } from "../infra/config";
import { runAsMain, type CommandSpec } from "./cli";
import { parseStartArgs, readStartInput, START_USAGE, type StartOptions } from "./start-args";
import { SCENARIOS } from "../local/scenarios";
import { StackConfigError } from "../local/stack-config";
import { expectExitCode, expectPath } from "./execution-args";
import type { ExecutionView } from "../view/execution-view";

async function run(options: StartOptions): Promise<void> {
    // First, and before anything heavy loads: a bad or never-ending input ends the run at once.
    const input = await readStartInput(options);
    // Loaded only now, so that a too old Node.js or a bad flag is reported before anything heavy loads.
    const { loadStackSettings } = await import("../local/stack-config");
    const { defaultMaxConcurrentBatches, LocalWorkflow } = await import("../local/local-workflow");
    const { compactLogLine, renderExecution, renderSummary, summarize } = await import("../view/execution-view");

    const { settings, config, warnings } = loadStackSettings(options.stack);
    // What `pulumi preview` would warn of for this stack (stderr: --json's output stays JSON).
    for (const warning of warnings) console.error(`warning: ${warning}`);
    const scenario = SCENARIOS[options.scenario];
    const workflow = await LocalWorkflow.start({
        settings,
        source: `local run of ${config.file.split(/[\\/]/).pop()}`,
        taskTimeoutSeconds: options.taskTimeoutSeconds ?? scenario.taskTimeoutSeconds,
        maxConcurrentBatches: defaultMaxConcurrentBatches(options.concurrency, settings.batchSize),
        handOff: scenario.handOff === true,
    });
    try {
        if (options.executions === 1) {
            const view = await workflow.execute(options.name, input, scenario.delivery);
            view.functionLog = workflow.functionLogs().map(compactLogLine);
            await workflow.close();
            console.log(options.json ? JSON.stringify({ execution: view }, null, 2) : renderExecution(view));
            if (options.html !== undefined) await writePage(options.html, view, workflow.definition);
            expectPath(options, [view]);
            return;
        }
        const views: Awaited<ReturnType<typeof workflow.execute>>[] = [];
        let next = 0;
        const started = performance.now();
        const worker = async () => {
            while (next < options.executions) {
                const index = ++next;
                views.push(await workflow.execute(`${options.name}-${index}`, input, scenario.delivery));
                // The summary shows no function log: dropped as it comes, or a function that logs a lot
                // would hold the whole run's log in memory.
                workflow.functionLogs();
            }
        };
        await Promise.all(Array.from({ length: Math.min(options.concurrency, options.executions) }, worker));
        const summary = summarize(views, options.concurrency, performance.now() - started, {
            peakMemoryBytes: process.resourceUsage().maxRSS * 1024, // maxRSS is in KiB
            environments: workflow.environmentFigures(),
        });
        await workflow.close();
        console.log(options.json ? JSON.stringify({ summary, executions: views }, null, 2) : renderSummary(summary));
        expectPath(options, views);
    } finally {
        await workflow.close();
    }
}

/** Writes the execution's page (`--html FILE`); the text or JSON stays on stdout, this note goes to stderr. */
async function writePage(file: string, view: ExecutionView, definition: unknown): Promise<void> {
    const { renderExecutionPage } = await import("../view/execution-page");
    const { writePageFile } = await import("./page-file");
    writePageFile(file, renderExecutionPage({ view, definition }));
    console.error(`page written to ${file}`);
}

/** The command as `runCommand` runs it: exported so that the tests can run it in their own process. */
export const spec = {
    command: "npm start",
    usage: START_USAGE,
    parse: parseStartArgs,
    run,
    isUsageError: (error) => error instanceof ConfigError || error instanceof StackConfigError,
    describe: (error) => (error as Error).message,
    exitCode: expectExitCode,
} satisfies CommandSpec<ReturnType<typeof parseStartArgs>>;

// Runs when started as a command (npm run …), not when a test loads the spec.
void runAsMain(module, spec);
