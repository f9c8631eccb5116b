/**
 * Benchmark of the callback function (`npm run bench`). Everything is measured side by side in
 * one run, on this machine, against a Step Functions endpoint on loopback:
 *
 * 1. a batch of 10 records with 25 ms of endpoint latency: the handler (bundled, as deployed) vs a
 *    sequential loop (the shape of AWS's sample, fixed to await every record) vs one single call;
 * 2. the shipped artifact: its size, zipped and not, and the time a fresh Node process takes to
 *    load it, vs the same handler loaded from unbundled node_modules;
 * 3. sustained throughput, records per second, through the bundled handler.
 *
 * It prints figures and ratios; it asserts nothing (the tests do that).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { SQSEvent } from "aws-lambda";
import { buildSync } from "esbuild";
import { unzipSync } from "fflate";
import { parseCallbackMessage } from "../functions/callback/callback";
import { CALLBACK_FUNCTION_ENTRY, PROJECT_ROOT } from "../infra/function-artifact";
import { captureLogs, LAMBDA_CONTEXT, loadBundledHandler } from "../local/bundled-handler";
import { callbackMessage, sqsRecord, TASK_QUEUE_ARN } from "../tests/support/sqs-events";
import { StepFunctionsEndpoint } from "../local/step-functions-endpoint";

const LATENCY_MS = 25;
const BATCH = 10;
const ROUNDS = 15;
const LOAD_RUNS = 7;
const THROUGHPUT_SECONDS = 3;

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Runs `action` without printing what it logs (the handler writes a JSON line per record). */
async function quietly<T>(action: () => Promise<T>): Promise<T> {
    return (await captureLogs(action)).result;
}

async function timed(action: () => Promise<unknown>): Promise<number> {
    const start = process.hrtime.bigint();
    await action();
    return Number(process.hrtime.bigint() - start) / 1e6;
}

let sequence = 0;
const batch = (size: number): SQSEvent => ({
    Records: Array.from({ length: size }, () => {
        const id = `m-${++sequence}`;
        return sqsRecord(id, callbackMessage(`token-${id}`));
    }),
});

/** AWS's sample, fixed to await every record: one SendTaskSuccess after another. */
async function sequentialLoop(client: SFNClient, event: SQSEvent): Promise<void> {
    for (const record of event.Records) {
        const message = parseCallbackMessage(record.body);
        await client.send(new SendTaskSuccessCommand({ taskToken: message.TaskToken, output: JSON.stringify({ input: message.Input }) }));
    }
}

/**
 * Median time for a fresh Node process to `require` the file (node's own start-up excluded), and
 * how many files, of how many bytes, that loaded.
 */
function loadTime(file: string): { ms: number; files: number; bytes: number } {
    const script =
        `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); const ms = Number(process.hrtime.bigint() - t) / 1e6;` +
        "const files = Object.keys(require.cache); const bytes = files.reduce((n, f) => n + require('fs').statSync(f).size, 0);" +
        "process.stdout.write(JSON.stringify({ ms, files: files.length, bytes }));";
    const runs: { ms: number; files: number; bytes: number }[] = [];
    for (let i = 0; i < LOAD_RUNS; i++) {
        const run = spawnSync(process.execPath, ["-e", script], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, AWS_REGION: "eu-west-1", POWERTOOLS_LOG_LEVEL: "SILENT" },
            encoding: "utf8",
        });
        if (run.status !== 0) throw new Error(`loading ${file} failed: ${run.stderr}`);
        runs.push(JSON.parse(run.stdout) as { ms: number; files: number; bytes: number });
    }
    return { ...runs[0], ms: median(runs.map((r) => r.ms)) };
}

const verdict = (met: boolean) => (met ? "met" : "NOT met");

function printTable(title: string, rows: [string, string][]): void {
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(`\n${title}`);
    for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
}

async function main(): Promise<void> {
    const endpoint = await StepFunctionsEndpoint.start({ latencyMs: LATENCY_MS });
    const { handler, artifact } = loadBundledHandler(endpoint.url, { TASK_QUEUE_ARN });
    const client = new SFNClient({
        region: "eu-west-1",
        endpoint: endpoint.url,
        credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" },
    });

    // 1. A batch of 10 with 25 ms latency, measured in alternation so that both see the same machine.
    await quietly(() => handler(batch(BATCH), LAMBDA_CONTEXT));
    await sequentialLoop(client, batch(2));
    const concurrent: number[] = [];
    const sequential: number[] = [];
    const single: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
        concurrent.push(await quietly(() => timed(() => handler(batch(BATCH), LAMBDA_CONTEXT))));
        sequential.push(await timed(() => sequentialLoop(client, batch(BATCH))));
        single.push(await quietly(() => timed(() => handler(batch(1), LAMBDA_CONTEXT))));
    }
    const [handlerMs, loopMs, oneMs] = [median(concurrent), median(sequential), median(single)];
    printTable(`1. A batch of ${BATCH} records, endpoint latency ${LATENCY_MS} ms (median of ${ROUNDS} rounds)`, [
        ["handler (bundled, concurrent)", ms(handlerMs)],
        ["sequential loop (AWS's sample, awaited)", ms(loopMs)],
        ["one record through the handler", ms(oneMs)],
        ["speed-up, loop / handler", `${(loopMs / handlerMs).toFixed(1)}× (goal: at least 5×: ${verdict(loopMs / handlerMs >= 5)})`],
        ["handler batch / one record", `${(handlerMs / oneMs).toFixed(2)}× (goal: within 2×: ${verdict(handlerMs / oneMs <= 2)})`],
    ]);

    // 2. The artifact, and how long it takes to load, vs the same code from node_modules.
    const unbundled = path.join(PROJECT_ROOT, ".build", "bench", "unbundled-handler.js");
    buildSync({
        entryPoints: [CALLBACK_FUNCTION_ENTRY],
        absWorkingDir: PROJECT_ROOT,
        bundle: true,
        packages: "external", // dependencies stay in node_modules, resolved and loaded file by file
        platform: "node",
        target: "node22",
        format: "cjs",
        outfile: unbundled,
        logLevel: "silent",
    });
    const bundled = path.join(PROJECT_ROOT, ".build", "bench", "index.js");
    fs.writeFileSync(bundled, unzipSync(fs.readFileSync(artifact.archivePath))["index.js"]);
    const [bundledLoad, unbundledLoad] = [loadTime(bundled), loadTime(unbundled)];
    printTable(`2. The shipped artifact (load: median of ${LOAD_RUNS} fresh Node processes, require() only)`, [
        ["archive (zipped)", kib(artifact.archiveBytes)],
        ["bundle (unzipped)", `${kib(artifact.bundleBytes)}, 1 file`],
        ["unbundled: what require() reads", `${kib(unbundledLoad.bytes)} in ${unbundledLoad.files} files from node_modules`],
        ["load the bundle", ms(bundledLoad.ms)],
        ["load from unbundled node_modules", ms(unbundledLoad.ms)],
        ["unbundled / bundled load time", `${(unbundledLoad.ms / bundledLoad.ms).toFixed(1)}×`],
    ]);

    // 3. Sustained throughput, no added latency: batches of 10, one after another, as one container runs them.
    endpoint.latencyMs = 0;
    let records = 0;
    const deadline = Date.now() + THROUGHPUT_SECONDS * 1000;
    const elapsed = await quietly(() =>
        timed(async () => {
            while (Date.now() < deadline) {
                const response = await handler(batch(BATCH), LAMBDA_CONTEXT);
                if (response.batchItemFailures.length > 0) throw new Error("a record failed during the throughput run");
                records += BATCH;
            }
        }),
    );
    printTable(`3. Sustained throughput (batches of ${BATCH}, one invocation at a time, no added latency)`, [
        ["records", String(records)],
        ["time", ms(elapsed)],
        ["records per second", (records / (elapsed / 1000)).toFixed(0)],
    ]);

    console.log(`\nNode ${process.version}, ${process.platform}/${process.arch}, endpoint on loopback (${endpoint.url}).`);
    client.destroy();
    await endpoint.close();
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
