/**
 * `npm start`: the callback pattern end to end on this machine, without AWS (see
 * `local-workflow.ts`). Prints what the console shows after "Start Execution", or JSON with
 * `--json`. Exit codes: 0 when the run completed (whatever the execution's status), 2 for a bad
 * flag, input or stack configuration, 1 for anything else; never a stack trace.
 */
import { ConfigError } from "../infra/config";
import { runCommand } from "./cli";
import { parseStartArgs, START_USAGE, type StartOptions } from "./start-args";
import { SCENARIOS } from "../local/scenarios";
import { StackConfigError } from "../local/stack-config";

async function run(options: StartOptions): Promise<void> {
    // Loaded only now, so that a too old Node.js or a bad flag is reported before anything heavy loads.
    const { loadStackSettings } = await import("../local/stack-config");
    const { defaultMaxConcurrentBatches, LocalWorkflow } = await import("../local/local-workflow");
    const { compactLogLine, renderExecution, renderSummary, summarize } = await import("../view/execution-view");

    const { settings, config } = loadStackSettings(options.stack);
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
            const view = await workflow.execute(options.name, options.input, scenario.delivery);
            view.functionLog = workflow.functionLogs().map(compactLogLine);
            await workflow.close();
            console.log(options.json ? JSON.stringify({ execution: view }, null, 2) : renderExecution(view));
            return;
        }
        const views: Awaited<ReturnType<typeof workflow.execute>>[] = [];
        let next = 0;
        const started = performance.now();
        const worker = async () => {
            while (next < options.executions) {
                const index = ++next;
                views.push(await workflow.execute(`${options.name}-${index}`, options.input, scenario.delivery));
            }
        };
        await Promise.all(Array.from({ length: Math.min(options.concurrency, options.executions) }, worker));
        const summary = summarize(views, options.concurrency, performance.now() - started, {
            peakMemoryBytes: process.resourceUsage().maxRSS * 1024, // maxRSS is in KiB
            environments: workflow.environmentFigures(),
        });
        await workflow.close();
        console.log(options.json ? JSON.stringify({ summary, executions: views }, null, 2) : renderSummary(summary));
    } finally {
        await workflow.close();
    }
}

void runCommand(
    {
        command: "npm start",
        usage: START_USAGE,
        parse: parseStartArgs,
        run,
        isUsageError: (error) => error instanceof ConfigError || error instanceof StackConfigError,
        describe: (error) => (error as Error).message,
    },
    process.argv.slice(2),
).then((code) => {
    process.exitCode = code;
});
