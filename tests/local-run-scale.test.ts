/**
 * The local run end to end (`npm start`), many executions at once, close() while they run, and what
 * the run leaves of the process and the machine (stdout, environment, temporary folders).
 * The stack's definition in aws-local-stepfunctions, the in-process queue, the bundled callback
 * function and the loopback Step Functions endpoint; helpers in `support/local-run.ts`.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CONFIG, DEFAULT_SETTINGS, MAX_BATCH_SIZE_WITHOUT_WINDOW } from "../infra/config";
import { summarize, type ExecutionView } from "../view/execution-view";
import {
    defaultMaxConcurrentBatches,
    LOCAL_CALLS_IN_FLIGHT,
    localBatchSize,
    LocalWorkflow,
    MIN_MAX_CONCURRENT_BATCHES,
} from "../local/local-workflow";
import type { PoolFigures } from "../local/execution-environments";
import { SCENARIOS } from "../local/scenarios";
import { runTypeScript } from "./support/processes";
import { transpileCacheFolder } from "./support/transpile-cache";

describe("local run (npm start): scale", () => {
    describe("many executions at once", () => {
        // One run of many executions, read by both tests below: it is the costliest local run of
        // the suite (each environment a thread that loads the function), and both need its like.
        const executions = 150;
        const maxConcurrentBatches = defaultMaxConcurrentBatches(executions, DEFAULT_SETTINGS.batchSize);
        let views: ExecutionView[];
        let figures: PoolFigures;
        before(async () => {
            const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test", maxConcurrentBatches });
            try {
                views = await Promise.all(
                    Array.from({ length: executions }, (_, i) => workflow.execute(`load-${i}`, { i }, SCENARIOS.success.delivery)),
                );
                figures = workflow.environmentFigures();
            } finally {
                await workflow.close();
            }
        });

        it("runs them each with its own token", () => {
            assert.deepEqual(new Set(views.map((v) => v.status)), new Set(["SUCCEEDED"]));
            assert.equal(new Set(views.map((v) => (v.queuedMessage as { TaskToken: string }).TaskToken)).size, executions);
            views.forEach((v, i) => assert.deepEqual((v.output as { MessageId?: string }).MessageId !== undefined, true, `execution ${i}`));
        });

        it("none lost, the function's environments scaled up to the mapping's maximum concurrency", () => {
            const summary = summarize(views, executions, 1);
            assert.deepEqual(summary.outcomes, { "TaskSucceeded → Notify Success": executions });
            assert.equal(
                views.reduce((sum, v) => sum + (v.deadLetters ?? 0), 0),
                0,
            );
            assert.ok(figures.peak > 1 && figures.peak <= maxConcurrentBatches, JSON.stringify(figures));
            assert.equal(figures.discarded, 0);
            // Each execution's queue activity is its own message's, taken once.
            views.forEach((v) =>
                assert.deepEqual(
                    v.queueActivity?.map((a) => a.type),
                    ["sent", "received", "deleted"],
                    v.name,
                ),
            );
        });
    });

    it("close() while executions are in flight ends every one of them: none waits forever", async () => {
        const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test" });
        // The function is down until each task ends: all of them are waiting for their callback.
        const executions = Array.from({ length: 5 }, (_, i) => workflow.execute(`closed-${i}`, {}, SCENARIOS.timeout.delivery));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await workflow.close();
        const outcome = await Promise.race([
            Promise.allSettled(executions).then((settled) => settled.map((s) => s.status)),
            new Promise((resolve) => setTimeout(resolve, 3000, "still running after close()")),
        ]);
        assert.deepEqual(
            outcome,
            Array.from({ length: 5 }, () => "fulfilled"),
        );
    });

    it("leaves the process's stdout, stderr and environment alone: the function has its own", async () => {
        const [stdout, stderr, env] = [process.stdout.write, process.stderr.write, { ...process.env }];
        const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test" });
        try {
            const execution = workflow.execute("own-output", { order: 1 });
            assert.equal(process.stdout.write, stdout);
            assert.equal(process.stderr.write, stderr);
            const view = await execution;
            assert.equal(view.status, "SUCCEEDED");
            // Only the names are compared and shown: the values are the machine's.
            const changed = Object.keys({ ...env, ...process.env }).filter((name) => process.env[name] !== env[name]);
            assert.deepEqual(changed, [], "the function's TASK_QUEUE_ARN, endpoint and credentials are its own");
            assert.equal(process.stdout.write, stdout);
            assert.ok(workflow.functionLogs().length > 0, "its log is kept apart");
        } finally {
            await workflow.close();
        }
    });

    it("the mapping's default maximum concurrency grows with the executions at a time, never past the calls in flight the endpoint answers in time", () => {
        const { batchSize } = DEFAULT_SETTINGS;
        assert.equal(defaultMaxConcurrentBatches(1, batchSize), MIN_MAX_CONCURRENT_BATCHES);
        assert.ok(defaultMaxConcurrentBatches(50, batchSize) > defaultMaxConcurrentBatches(1, batchSize));
        for (const atOnce of [100, 1000, 10_000]) {
            assert.ok(defaultMaxConcurrentBatches(atOnce, batchSize) * batchSize <= LOCAL_CALLS_IN_FLIGHT, String(atOnce));
        }
        assert.ok(defaultMaxConcurrentBatches(1000, 1) <= LOCAL_CALLS_IN_FLIGHT);
    });

    it("batches hold what Lambda takes without a batching window (which the local run does not simulate), and no more", () => {
        assert.equal(localBatchSize(MAX_BATCH_SIZE_WITHOUT_WINDOW + 1), MAX_BATCH_SIZE_WITHOUT_WINDOW);
        assert.equal(localBatchSize(CONFIG.batchSize.max), MAX_BATCH_SIZE_WITHOUT_WINDOW);
        assert.equal(localBatchSize(MAX_BATCH_SIZE_WITHOUT_WINDOW), MAX_BATCH_SIZE_WITHOUT_WINDOW);
        assert.equal(localBatchSize(1), 1);
        // The concurrency is reckoned with the batches the local queue delivers, not the setting.
        for (const atOnce of [1, 100, 10_000]) {
            assert.equal(
                defaultMaxConcurrentBatches(atOnce, CONFIG.batchSize.max),
                defaultMaxConcurrentBatches(atOnce, MAX_BATCH_SIZE_WITHOUT_WINDOW),
                String(atOnce),
            );
        }
    });

    it("leaves no folder in the temporary directory: the function's code is loaded from the archive in memory", async function () {
        this.timeout(120_000);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "local-run-tmp-"));
        // tsx's transpile cache (the test run's, not the program's: `support/typescript.mjs`) is lent
        // to the children through a link in their temporary directory: they start in a fraction of
        // the time it takes to transpile every file again, and the link is the one entry allowed.
        const lent = [path.basename(transpileCacheFolder())].filter((name) => fs.existsSync(path.join(os.tmpdir(), name)));
        for (const name of lent) fs.symlinkSync(path.join(os.tmpdir(), name), path.join(tmp, name));
        try {
            // Where os.tmpdir() points in the children: a folder of this test's own.
            const env = { ...process.env, TMPDIR: tmp, TEMP: tmp, TMP: tmp };
            const [run, loader] = await Promise.all([
                runTypeScript("commands/start.ts", ["--executions", "3", "--concurrency", "3"], { env, timeoutMs: 90_000 }),
                // The in-process loader of the tests and the bench too.
                runTypeScript("-e", ['require("./local/bundled-handler").loadBundledHandler("http://127.0.0.1:9").restoreEnv()'], {
                    env,
                    timeoutMs: 90_000,
                }),
            ]);
            assert.equal(run.code, 0, run.stderr);
            assert.equal(loader.code, 0, loader.stderr);
            // Nothing but the lent cache: no callback-bundle-* of the run, nor anything else.
            assert.deepEqual(fs.readdirSync(tmp).sort(), [...lent].sort());
            for (const name of lent) assert.ok(fs.lstatSync(path.join(tmp, name)).isSymbolicLink(), `${name} is still the link`);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});
