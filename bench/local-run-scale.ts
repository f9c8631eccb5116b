/**
 * Benchmark of the local run at scale (run by `npm run bench` after the function's benchmark, or
 * alone: `npx ts-node --transpile-only bench/local-run-scale.ts`): 10000 executions of the success
 * scenario at 100 and at 1000 executions at a time, side by side in one run, each in a fresh
 * process of its own (so that each one's peak memory is its own), twice in alternation. It prints
 * every run's paths, dead letters, throughput, latency, peak memory and function environments,
 * and the ratios of 1000 to 100 at a time. It asserts nothing (the tests prove the mechanisms);
 * every run is bounded in count and in time.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { DEFAULT_SETTINGS } from "../infra/config";
import { PROJECT_ROOT } from "../infra/function-artifact";
import { defaultMaxConcurrentBatches, LocalWorkflow } from "../local/local-workflow";
import { SCENARIOS } from "../local/scenarios";
import { renderSummary, summarize, type ExecutionView, type RunSummary } from "../view/execution-view";

const EXECUTIONS = 10_000;
const CONCURRENCIES = [100, 1000] as const;
const ROUNDS = 2;
/** One run may take no longer; beyond it the bench stops with an error. */
const RUN_LIMIT_MS = 120_000;
const CHILD_FLAG = "--child";

/** What one run (a child process) reports. */
interface RunReport {
    summary: RunSummary;
    deadLetters: number;
}

/** The child: runs `executions` executions, `concurrency` at a time, as `npm start` does; prints a report as JSON. */
async function child(executions: number, concurrency: number): Promise<void> {
    const settings = DEFAULT_SETTINGS;
    const workflow = await LocalWorkflow.start({
        settings,
        source: "bench",
        maxConcurrentBatches: defaultMaxConcurrentBatches(concurrency, settings.batchSize),
    });
    try {
        const views: ExecutionView[] = [];
        let next = 0;
        const started = performance.now();
        const worker = async () => {
            while (next < executions) {
                const index = ++next;
                views.push(await workflow.execute(`bench-${index}`, { order: index }, SCENARIOS.success.delivery));
            }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, executions) }, worker));
        const summary = summarize(views, concurrency, performance.now() - started, {
            peakMemoryBytes: process.resourceUsage().maxRSS * 1024,
            environments: workflow.environmentFigures(),
        });
        const report: RunReport = { summary, deadLetters: views.reduce((sum, v) => sum + (v.deadLetters ?? 0), 0) };
        process.stdout.write(JSON.stringify(report));
    } finally {
        await workflow.close();
    }
}

function runChild(concurrency: number): RunReport {
    const result = spawnSync(
        process.execPath,
        [
            "-r",
            "ts-node/register/transpile-only",
            path.join(__dirname, "local-run-scale.ts"),
            CHILD_FLAG,
            String(EXECUTIONS),
            String(concurrency),
        ],
        { cwd: PROJECT_ROOT, encoding: "utf8", timeout: RUN_LIMIT_MS, maxBuffer: 16 * 2 ** 20 },
    );
    if (result.status !== 0) {
        throw new Error(
            `the run at ${concurrency} at a time failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`,
        );
    }
    return JSON.parse(result.stdout) as RunReport;
}

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Runs the scale benchmark and prints its figures. */
export function localRunScale(): void {
    const reports = new Map<number, RunReport[]>(CONCURRENCIES.map((c) => [c, []]));
    for (let round = 0; round < ROUNDS; round++) {
        for (const concurrency of CONCURRENCIES) reports.get(concurrency)!.push(runChild(concurrency));
    }
    console.log(
        `\n7. The local run at scale: ${EXECUTIONS} executions (success scenario), ${ROUNDS} rounds in alternation, each run a fresh process`,
    );
    for (const concurrency of CONCURRENCIES) {
        for (const report of reports.get(concurrency)!) {
            console.log(
                renderSummary(report.summary)
                    .split("\n")
                    .map((line) => `  ${line}`)
                    .join("\n"),
            );
            console.log(`    dead letters: ${report.deadLetters}`);
        }
    }
    const throughput = (c: number) => median(reports.get(c)!.map((r) => r.summary.executionsPerSecond));
    const memory = (c: number) => median(reports.get(c)!.map((r) => r.summary.resources?.peakMemoryBytes ?? NaN));
    const [low, high] = CONCURRENCIES;
    console.log(
        `  median throughput: ${throughput(low).toFixed(0)}/s at ${low}, ${throughput(high).toFixed(0)}/s at ${high}: ` +
            `${(throughput(high) / throughput(low)).toFixed(2)}× (goal: at least 1×: ${throughput(high) >= throughput(low) ? "met" : "not met"})`,
    );
    console.log(
        `  median peak memory: ${Math.round(memory(low) / 2 ** 20)} MiB at ${low}, ${Math.round(memory(high) / 2 ** 20)} MiB at ${high}: ` +
            `${(memory(high) / memory(low)).toFixed(2)}×`,
    );
}

if (require.main === module) {
    const [flag, executions, concurrency] = process.argv.slice(2);
    const main = flag === CHILD_FLAG ? child(Number(executions), Number(concurrency)) : Promise.resolve(localRunScale());
    main.catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
    });
}
