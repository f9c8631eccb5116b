/**
 * Benchmark of the callback function (`npm run bench`). Everything is measured side by side in
 * one run, on this machine, against a Step Functions endpoint on loopback:
 *
 * 1. a batch of 10 records with 25 ms of endpoint latency: the handler (bundled, as deployed) vs a
 *    sequential loop (the shape of AWS's sample, fixed to await every record) vs one single call;
 * 2. the shipped artifact: its size, zipped and not, and the time a fresh Node process takes to
 *    load it, vs the same handler loaded from unbundled node_modules;
 * 3. sustained throughput, records per second, through the bundled handler;
 * 4. cold start: the first batch of 10 in a fresh container (a fresh Node process that loads the
 *    bundle and fetches its events from this process, as Lambda's runtime does) vs warm calls;
 * 5. large batches of 100, 1000 and 10000 records at 25 ms latency through the bundled handler,
 *    and through the client alone with the bound on calls in flight the handler should keep;
 * 6. throttling: 2000 records against an endpoint that throttles as Step Functions does (a token
 *    bucket), through the real client, in each retry setting compared.
 * `npm run bench` then runs `local-run-scale.ts`, the local run at scale.
 *
 * It prints figures and ratios; it asserts nothing (the tests do that). Every loop is bounded in
 * count, and the run in time.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { SQSEvent } from "aws-lambda";
import { buildSync } from "esbuild";
import { unzipSync } from "fflate";
import { parseCallbackMessage } from "../functions/callback/callback";
import { MAX_ATTEMPTS, MAX_CALLS_IN_FLIGHT, RETRY_MODE } from "../functions/callback/client-settings";
import { createStepFunctionsClient } from "../functions/callback/sfn-client";
import { CALLBACK_FUNCTION_ENTRY, PROJECT_ROOT } from "../infra/function-artifact";
import { captureLogs, LAMBDA_CONTEXT, lambdaContext, loadBundledHandler } from "../local/bundled-handler";
import { callbackMessage, sqsRecord, TASK_QUEUE_ARN } from "../tests/support/sqs-events";
import { StepFunctionsEndpoint, type Throttle } from "../local/step-functions-endpoint";

const LATENCY_MS = 25;
const BATCH = 10;
const ROUNDS = 15;
const LOAD_RUNS = 7;
const THROUGHPUT_SECONDS = 3;
const FRESH_CONTAINERS = 5;
const WARM_ROUNDS = 5;
const LARGE_BATCHES = [100, 1000, 10_000];
/** The longest function timeout Lambda allows: a batch of 10000 needs seconds, not the fixed 10 s of LAMBDA_CONTEXT. */
const MAX_FUNCTION_TIMEOUT_MS = 900_000;
/** No single measurement of this bench may take longer; beyond it the bench stops with an error. */
const STEP_LIMIT_MS = 60_000;
const THROTTLED_RECORDS = 2000;
/** Step Functions' bucket scaled down so that the run stays short: the burst and refill of a busy account. */
const THROTTLE: Throttle = { capacity: 300, refillPerSecond: 500 };

const BENCH_CREDENTIALS = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" };

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

/** Rejects when `action` takes longer than {@link STEP_LIMIT_MS}. */
async function bounded<T>(what: string, action: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${STEP_LIMIT_MS} ms`)), STEP_LIMIT_MS);
    });
    try {
        return await Promise.race([action, limit]);
    } finally {
        clearTimeout(timer);
    }
}

/**
 * A fresh container, as a Node.js script: it loads the bundle (the init phase), then fetches each
 * event from the runtime URL (as Lambda's runtime fetches its next invocation), invokes the
 * handler, and sends its timings back over IPC. Its logs go nowhere.
 */
const FRESH_CONTAINER_SCRIPT = `
const http = require("node:http");
const [bundle, runtimeUrl] = process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const next = () => new Promise((resolve, reject) => {
    http.get(runtimeUrl + "/next", (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve(JSON.parse(body)));
    }).on("error", reject);
});
const context = { functionName: "callback", functionVersion: "$LATEST", awsRequestId: "0", memoryLimitInMB: "256",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:callback", logGroupName: "g", logStreamName: "s",
    getRemainingTimeInMillis: () => 10000 };
(async () => {
    const start = now();
    const { handler } = require(bundle);
    const result = { initMs: now() - start, invocations: [] };
    for (let i = 0; i < 100; i++) {
        const event = await next();
        if (event.Records.length === 0) break;
        const begin = now();
        const response = await handler(event, context);
        result.invocations.push({ records: event.Records.length, ms: now() - begin, failures: response.batchItemFailures.length });
    }
    process.send(result, () => process.exit(0));
})();
`;

interface FreshContainerRun {
    initMs: number;
    invocations: { records: number; ms: number; failures: number }[];
}

/** Runs one fresh container that gets `events` in turn, then an empty event that ends it. */
async function freshContainer(bundle: string, script: string, endpointUrl: string, events: SQSEvent[]): Promise<FreshContainerRun> {
    const queue = [...events, { Records: [] }];
    const runtime = http.createServer((_request, response) => response.end(JSON.stringify(queue.shift() ?? { Records: [] })));
    await new Promise<void>((resolve) => runtime.listen(0, "127.0.0.1", resolve));
    try {
        const child = spawn(process.execPath, [script, bundle, `http://127.0.0.1:${(runtime.address() as AddressInfo).port}`], {
            env: {
                PATH: process.env.PATH,
                AWS_REGION: "eu-west-1",
                AWS_ACCESS_KEY_ID: "AKIDBENCH",
                AWS_SECRET_ACCESS_KEY: "bench",
                AWS_ENDPOINT_URL_SFN: endpointUrl,
                TASK_QUEUE_ARN,
                POWERTOOLS_LOG_LEVEL: "INFO",
            },
            stdio: ["ignore", "ignore", "inherit", "ipc"],
        });
        const run = new Promise<FreshContainerRun>((resolve, reject) => {
            child.once("message", (message) => resolve(message as FreshContainerRun));
            child.once("exit", (code) => reject(new Error(`the fresh container exited with ${code} before reporting`)));
        });
        try {
            return await bounded("a fresh container", run);
        } finally {
            child.kill();
        }
    } finally {
        runtime.close();
    }
}

/** Sends `records` SendTaskSuccess calls through `client`, at most `inFlight` at a time. */
async function sendAll(client: SFNClient, records: number, inFlight: number, prefix: string) {
    let next = 0;
    let failed = 0;
    let refusedByQuota = 0;
    const start = process.hrtime.bigint();
    const worker = async () => {
        while (next < records) {
            const taskToken = `${prefix}-${next++}`;
            try {
                await client.send(new SendTaskSuccessCommand({ taskToken, output: "{}" }));
            } catch (error) {
                failed++;
                // A call that stopped before its last attempt was refused a retry by the SDK's retry quota.
                const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
                if (attempts !== undefined && attempts < (await client.config.maxAttempts())) refusedByQuota++;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, records) }, worker));
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, failed, refusedByQuota };
}

function printTable(title: string, rows: [string, string][]): void {
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(`\n${title}`);
    for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
}

async function main(): Promise<void> {
    const endpoint = await StepFunctionsEndpoint.start({ latencyMs: LATENCY_MS });
    const { handler, artifact } = loadBundledHandler(endpoint.url, { TASK_QUEUE_ARN });
    const client = new SFNClient({ region: "eu-west-1", endpoint: endpoint.url, credentials: BENCH_CREDENTIALS });

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

    // 4. Cold start: the first batch in a fresh container vs warm calls in the same container.
    endpoint.latencyMs = LATENCY_MS;
    const script = path.join(PROJECT_ROOT, ".build", "bench", "fresh-container.js");
    fs.writeFileSync(script, FRESH_CONTAINER_SCRIPT);
    const cold: { init: number; first: number; warmBatch: number; warmOne: number }[] = [];
    for (let container = 0; container < FRESH_CONTAINERS; container++) {
        const warm = Array.from({ length: WARM_ROUNDS }, () => [batch(BATCH), batch(1)]).flat();
        const run = await freshContainer(bundled, script, endpoint.url, [batch(BATCH), ...warm]);
        const [first, ...rest] = run.invocations;
        if (run.invocations.some((invocation) => invocation.failures > 0)) throw new Error("a record failed in a fresh container");
        cold.push({
            init: run.initMs,
            first: first.ms,
            warmBatch: median(rest.filter((i) => i.records === BATCH).map((i) => i.ms)),
            warmOne: median(rest.filter((i) => i.records === 1).map((i) => i.ms)),
        });
    }
    const [initMs, firstMs, warmBatchMs, warmOneMs] = (["init", "first", "warmBatch", "warmOne"] as const).map((key) =>
        median(cold.map((run) => run[key])),
    );
    printTable(`4. Cold start, endpoint latency ${LATENCY_MS} ms (median of ${FRESH_CONTAINERS} fresh Node processes)`, [
        ["init: load the bundle, start the warm-up", ms(initMs)],
        [`first batch of ${BATCH} in the fresh container`, ms(firstMs)],
        [`warm batch of ${BATCH}`, ms(warmBatchMs)],
        ["one warm call (a batch of 1)", ms(warmOneMs)],
        ["first batch / warm batch", `${(firstMs / warmBatchMs).toFixed(2)}×`],
        ["first batch / one warm call", `${(firstMs / warmOneMs).toFixed(2)}× (goal: at most 2×: ${verdict(firstMs / warmOneMs <= 2)})`],
    ]);

    // 5. Large batches through the bundled handler, with a context whose deadline is the longest
    // function timeout; and the same records through the client alone, with at most
    // MAX_CALLS_IN_FLIGHT calls in flight (the bound the handler should keep).
    const largeRows: [string, string][] = [];
    const bound = createStepFunctionsClient({ endpoint: endpoint.url, region: "eu-west-1", credentials: BENCH_CREDENTIALS });
    await sendAll(bound, MAX_CALLS_IN_FLIGHT, MAX_CALLS_IN_FLIGHT, "warm"); // as warm as the handler's client by now
    for (const size of LARGE_BATCHES) {
        endpoint.reset();
        const event = batch(size);
        const started = process.hrtime.bigint();
        const response = await bounded(
            `a batch of ${size}`,
            quietly(() => handler(event, lambdaContext(MAX_FUNCTION_TIMEOUT_MS))),
        );
        const handlerMs = Number(process.hrtime.bigint() - started) / 1e6;
        const failed = response.batchItemFailures.length;
        largeRows.push([
            `${size} records, handler (bundled)`,
            `${ms(handlerMs)}, ${failed} failed (goal: 0: ${verdict(failed === 0)}), ${((size - failed) / (handlerMs / 1000)).toFixed(0)} records/s`,
        ]);
        const alone = await bounded(`${size} calls`, sendAll(bound, size, MAX_CALLS_IN_FLIGHT, `alone-${size}`));
        largeRows.push([
            `${size} records, client, ${MAX_CALLS_IN_FLIGHT} in flight`,
            `${ms(alone.ms)}, ${alone.failed} failed, ${((size - alone.failed) / (alone.ms / 1000)).toFixed(0)} records/s`,
        ]);
    }
    bound.destroy();
    printTable(`5. Large batches, endpoint latency ${LATENCY_MS} ms (one run each)`, largeRows);

    // 6. Throttling: the endpoint's token bucket, the real client in each retry setting, a bound of
    // MAX_CALLS_IN_FLIGHT (and twice that, to show the SDK's retry quota giving out).
    endpoint.latencyMs = LATENCY_MS;
    const settings: { label: string; retryMode: "standard" | "adaptive"; maxAttempts: number; inFlight: number; refill: number }[] = [
        { label: "standard, 3 attempts (SDK default)", retryMode: "standard", maxAttempts: 3, inFlight: MAX_CALLS_IN_FLIGHT, refill: 500 },
        {
            label: `${RETRY_MODE}, ${MAX_ATTEMPTS} attempts (chosen)`,
            retryMode: RETRY_MODE,
            maxAttempts: MAX_ATTEMPTS,
            inFlight: MAX_CALLS_IN_FLIGHT,
            refill: 500,
        },
        { label: "adaptive, 3 attempts", retryMode: "adaptive", maxAttempts: 3, inFlight: MAX_CALLS_IN_FLIGHT, refill: 500 },
        {
            label: `${RETRY_MODE}, ${MAX_ATTEMPTS} attempts, ${2 * MAX_CALLS_IN_FLIGHT} in flight, refill 200/s`,
            retryMode: RETRY_MODE,
            maxAttempts: MAX_ATTEMPTS,
            inFlight: 2 * MAX_CALLS_IN_FLIGHT,
            refill: 200,
        },
    ];
    const throttleRows: [string, string][] = [];
    for (const setting of settings) {
        endpoint.throttle = { ...THROTTLE, refillPerSecond: setting.refill };
        endpoint.reset();
        const throttled = createStepFunctionsClient({
            endpoint: endpoint.url,
            region: "eu-west-1",
            credentials: BENCH_CREDENTIALS,
            retryMode: setting.retryMode,
            maxAttempts: setting.maxAttempts,
            maxSockets: setting.inFlight,
        });
        const run = await bounded(
            setting.label,
            sendAll(throttled, THROTTLED_RECORDS, setting.inFlight, `throttled-${throttleRows.length}`),
        );
        throttled.destroy();
        throttleRows.push([
            setting.label,
            `${run.failed} failed (${run.refusedByQuota} refused by the retry quota), ${ms(run.ms)}, ` +
                `${endpoint.calls.length} calls, ${endpoint.throttledCalls} throttled`,
        ]);
    }
    endpoint.throttle = undefined;
    printTable(
        `6. Throttling: ${THROTTLED_RECORDS} records, bucket of ${THROTTLE.capacity} refilled at 500/s unless noted, ` +
            `${MAX_CALLS_IN_FLIGHT} in flight unless noted, latency ${LATENCY_MS} ms`,
        throttleRows,
    );

    console.log(`\nNode ${process.version}, ${process.platform}/${process.arch}, endpoint on loopback (${endpoint.url}).`);
    client.destroy();
    await endpoint.close();
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
