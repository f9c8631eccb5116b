/**
 * The local run end to end: the stack's definition in aws-local-stepfunctions, the in-process
 * queue, the bundled callback function and the loopback Step Functions endpoint, one scenario at
 * a time.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_SETTINGS, type CallbackPatternSettings } from "../infra/config";
import { buildCallbackDefinition, FAILURE_MESSAGE, MAX_TASK_TIMEOUT_SECONDS, STATE_NAMES, SUCCESS_MESSAGE } from "../infra/definition";
import {
    MAX_NAMED_EXECUTIONS,
    outcomeOf,
    renderExecution,
    renderSummary,
    summarize,
    unexpectedPath,
    type ExecutionView,
} from "../view/execution-view";
import { PROJECT_ROOT } from "../infra/function-artifact";
import { defaultMaxConcurrentBatches, LOCAL_CALLS_IN_FLIGHT, LocalWorkflow, MIN_MAX_CONCURRENT_BATCHES } from "../local/local-workflow";
import { SCENARIOS, type ScenarioName } from "../local/scenarios";
import type { StepFunctionsEndpoint } from "../local/step-functions-endpoint";
import { TYPESCRIPT_NODE_ARGS } from "./support/typescript-child";

const WAIT = STATE_NAMES.waitForCallback;

async function runScenario(
    scenario: ScenarioName,
    input: unknown = { order: 42 },
    settings: Partial<CallbackPatternSettings> = {},
    taskTimeoutSeconds?: number,
    partnerWorkMs?: number,
) {
    const workflow = await LocalWorkflow.start({
        settings: { ...DEFAULT_SETTINGS, ...settings },
        source: "test",
        taskTimeoutSeconds,
        redeliveryDelayMs: 20,
        handOff: SCENARIOS[scenario].handOff === true,
        ...(partnerWorkMs !== undefined ? { partnerWorkMs } : {}),
    });
    try {
        const view = await workflow.execute(`test-${scenario}`, input, SCENARIOS[scenario].delivery);
        const logs = workflow.functionLogs().map((line) => JSON.parse(line) as Record<string, unknown>);
        return { view, logs };
    } finally {
        await workflow.close();
    }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const types = (view: ExecutionView, state?: string) =>
    view.history.filter((row) => state === undefined || row.state === state).map((row) => row.type);

describe("local run (npm start)", () => {
    it("success: the function returns the token; Notify Success", async () => {
        const { view, logs } = await runScenario("success");
        assert.equal(view.status, "SUCCEEDED");
        assert.deepEqual(types(view), [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded",
        ]);
        assert.deepEqual(
            view.history.map((row) => row.id),
            view.history.map((_, i) => i + 1),
        );
        // The same events in AWS's shape, with the details GetExecutionHistory gives.
        assert.deepEqual(
            view.events.map((event) => event.type),
            types(view),
        );
        const event = (type: string, state: string = WAIT) => {
            const row = view.history.find((r) => r.type === type && r.state === state);
            return view.events.find((e) => e.id === row?.id)!;
        };
        assert.equal(view.events[0].executionStartedEventDetails?.input, JSON.stringify({ order: 42 }));
        assert.equal(event("TaskStateEntered").stateEnteredEventDetails?.input, JSON.stringify({ order: 42 }));
        const scheduled = event("TaskScheduled").taskScheduledEventDetails!;
        assert.deepEqual(
            [scheduled.resourceType, scheduled.resource, scheduled.timeoutInSeconds],
            ["sqs", "sendMessage.waitForTaskToken", DEFAULT_SETTINGS.taskTimeoutSeconds],
        );
        const parameters = JSON.parse(scheduled.parameters!) as { MessageBody: Record<string, unknown> };
        assert.deepEqual(parameters.MessageBody, view.queuedMessage, "the scheduled parameters carry the shortened token");
        const submitted = JSON.parse(event("TaskSubmitted").taskSubmittedEventDetails!.output!) as { MessageId: string };
        assert.equal(submitted.MessageId, view.queueActivity?.[0].messageId);
        // The work's result (the function's SendTaskSuccess output) on TaskSucceeded, then on the state's exit.
        const output = event("TaskSucceeded").taskSucceededEventDetails?.output;
        assert.ok(output !== undefined);
        assert.equal(
            event("TaskStateExited").stateExitedEventDetails?.output,
            output,
            "no ResultPath: the work's result is the state's output",
        );
        assert.equal(event("TaskSucceeded", STATE_NAMES.notifySuccess).type, "TaskSucceeded");
        assert.equal(view.events.at(-1)?.executionSucceededEventDetails?.output, JSON.stringify(view.output));
        assert.deepEqual(
            view.notifications.map((n) => n.message),
            [SUCCESS_MESSAGE],
        );
        const message = view.queuedMessage as Record<string, unknown>;
        assert.deepEqual(message.Input, { order: 42 });
        assert.match(String(message.TaskToken), /^.{16}…$/, "the shown token is shortened");
        assert.deepEqual(
            view.queueActivity?.map((a) => a.type),
            ["sent", "received", "deleted"],
        );
        assert.deepEqual(
            logs.map((l) => l.message),
            ["Task token returned"],
        );
    });

    it("failure: the work fails, SendTaskFailure reaches the task, Notify Failure names the error", async () => {
        const { view } = await runScenario("failure", { order: 42, fail: "out of stock" });
        // After Notify Failure, the execution fails with the error the Catch took.
        assert.equal(view.status, "FAILED");
        assert.equal(view.error, "TaskRejected");
        assert.equal(view.cause, "out of stock");
        assert.ok(types(view, WAIT).includes("TaskFailed"));
        assert.deepEqual(types(view).slice(-6), [
            "TaskSucceeded", // the failure notice was published
            "TaskStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "FailStateEntered",
            "ExecutionFailed",
        ]);
        assert.equal(view.history.find((row) => row.type === "FailStateEntered")?.state, STATE_NAMES.failWithCause);
        // The task's and the execution's error and cause, as the history gives them.
        const failed = view.events.find((e) => e.type === "TaskFailed")?.taskFailedEventDetails;
        assert.deepEqual([failed?.error, failed?.cause], [view.error, view.cause]);
        assert.deepEqual(view.events.at(-1)?.executionFailedEventDetails, { error: view.error, cause: view.cause });
        assert.match(
            renderExecution(view),
            /TaskFailed +Start Task And Wait For Callback +\d+ {2}error: TaskRejected, cause: out of stock\n/,
        );
        assert.deepEqual(
            view.notifications.map((n) => n.message),
            [`${FAILURE_MESSAGE} Error: {"Error":"TaskRejected","Cause":"out of stock"}`],
        );
        assert.ok(view.history.some((row) => row.state === STATE_NAMES.notifyFailure));
        assert.ok(!view.history.some((row) => row.state === STATE_NAMES.notifySuccess));
    });

    it("timeout: no callback within TimeoutSeconds raises States.Timeout; the late message is acknowledged as TaskTimedOut", async () => {
        const { view, logs } = await runScenario("timeout", { order: 42 }, {}, 1);
        assert.equal(view.status, "FAILED");
        assert.equal(view.error, "States.Timeout");
        assert.ok(types(view, WAIT).includes("TaskTimedOut"));
        const timedOut = view.events.find((e) => e.type === "TaskTimedOut")?.taskTimedOutEventDetails;
        assert.equal(timedOut?.error, "States.Timeout");
        assert.match(view.notifications[0].message, /"Error":"States.Timeout"/);
        assert.ok(view.durationMs! >= 1000 && view.durationMs! < 3000, `took ${view.durationMs} ms`);
        assert.deepEqual(
            view.queueActivity?.map((a) => a.type),
            ["sent", "received", "deleted"],
        );
        assert.deepEqual(
            logs.map((l) => [l.level, l.error]),
            [["WARN", "TaskTimedOut"]],
        );
        assert.equal(
            view.notes?.[0],
            `TimeoutSeconds is 1 here, ${DEFAULT_SETTINGS.taskTimeoutSeconds} in the stack (shortened for this run)`,
        );
    });

    it("heartbeat: a task that outlives HeartbeatSeconds without a heartbeat raises States.Timeout", async () => {
        const { view } = await runScenario("timeout", { order: 42 }, { heartbeatSeconds: 1 }, 3);
        assert.ok(view.durationMs! >= 1000 && view.durationMs! < 2500, `took ${view.durationMs} ms`);
        assert.match(view.notifications[0].message, /"Error":"States.Timeout","Cause":"No heartbeat within HeartbeatSeconds \(1\)\."/);
    });

    it("handoff: the function hands the task to a partner and acknowledges the message; the task waits for the partner's answer", async () => {
        const partnerWorkMs = 400;
        const { view, logs } = await runScenario("handoff", { order: 42 }, {}, undefined, partnerWorkMs);
        assert.equal(view.status, "SUCCEEDED");
        const waited = view.history.find((row) => row.type === "TaskSucceeded" && row.state === WAIT);
        assert.ok(waited !== undefined && waited.elapsedMs >= partnerWorkMs, `the task ended after ${waited?.elapsedMs} ms`);
        // The function acknowledged the message at once, without a callback of its own.
        assert.deepEqual(
            view.queueActivity!.map((event) => event.type),
            ["sent", "received", "deleted"],
        );
        const deleted = view.queueActivity!.find((event) => event.type === "deleted");
        assert.ok(deleted !== undefined && deleted.elapsedMs < partnerWorkMs);
        assert.deepEqual(
            logs.map((line) => line.message),
            ["Task handed off: an external process returns the token; message acknowledged"],
        );
        assert.deepEqual(types(view, STATE_NAMES.notifySuccess).slice(-1), ["TaskStateExited"]);
    });

    it("handoff: the partner's heartbeats keep a task with HeartbeatSeconds alive past it", async () => {
        // HeartbeatSeconds 1, the partner works 2.5 s: only its heartbeats keep the task alive.
        const { view } = await runScenario("handoff", { order: 42 }, { heartbeatSeconds: 1 }, 10, 2500);
        assert.equal(view.status, "SUCCEEDED", JSON.stringify(view.notes));
        assert.ok(
            view.notes!.some((note) => /the partner sent [5-9] heartbeats/.test(note)),
            view.notes!.join("\n"),
        );
    });

    it("handoff: a task that times out before the partner answers: the partner's late answer is refused as gone, and said so", async () => {
        // TimeoutSeconds 1, the partner works 1.3 s: its SendTaskSuccess comes after the task ended.
        const { view } = await runScenario("handoff", { order: 42 }, {}, 1, 1300);
        assert.equal(view.status, "FAILED");
        assert.equal(view.error, "States.Timeout");
        assert.ok(
            view.notes!.some((note) =>
                /^the partner could not answer the task: SendTaskSuccess for task token [0-9a-f]{16}: the task no longer takes an answer \(TaskTimedOut\)/.test(
                    note,
                ),
            ),
            view.notes!.join("\n"),
        );
    });

    it("handoff: a partner whose output would be too large fails the task at once, as the function does, instead of leaving it to time out", async () => {
        const { view } = await runScenario("handoff", { blob: "x".repeat(262_100) }, {}, 5, 100);
        assert.equal(view.status, "FAILED");
        assert.equal(view.error, "TaskOutputError");
        assert.match(view.cause!, /^the partner's output is \d+ bytes of UTF-8; a task output holds at most 262144$/);
        assert.ok(view.durationMs! < 2000, `took ${view.durationMs} ms`);
    });

    it("handoff: a stack whose tasks wait longer than a timer can (over 24 days, a person's approval) runs with its own TimeoutSeconds", async () => {
        // Node fires a setTimeout of more than 2^31 - 1 ms after 1 ms: the task would time out at once.
        const { view } = await runScenario(
            "handoff",
            { order: 42 },
            { taskTimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS, heartbeatSeconds: MAX_TASK_TIMEOUT_SECONDS - 1 },
            undefined,
            50,
        );
        assert.equal(view.status, "SUCCEEDED", JSON.stringify(view.notes));
        assert.deepEqual(
            view.notes!.filter((note) => note.includes("TimeoutSeconds")),
            [],
            "nothing shortened",
        );
    });

    it("a task whose TimeoutSeconds is the longest the config allows waits: no timer of the task or the execution fires early", async () => {
        const workflow = await LocalWorkflow.start({
            settings: { ...DEFAULT_SETTINGS, taskTimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS },
            source: "test",
        });
        try {
            assert.equal(workflow.timeoutSeconds, MAX_TASK_TIMEOUT_SECONDS);
            assert.equal(workflow.definition.States[WAIT].Type, "Task");
            // The function is down until the task ends: only a timer can end this execution now.
            const execution = workflow.execute("long-wait", {}, SCENARIOS.timeout.delivery);
            const waited = await Promise.race([
                execution.then((view) => view.status),
                new Promise((resolve) => setTimeout(resolve, 300, "still waiting")),
            ]);
            assert.equal(waited, "still waiting");
        } finally {
            await workflow.close();
        }
    });

    it("duplicate: the second delivery's callback gets TaskTimedOut and is acknowledged", async () => {
        const { view, logs } = await runScenario("duplicate");
        assert.deepEqual(
            view.notifications.map((n) => n.message),
            [SUCCESS_MESSAGE],
        );
        assert.deepEqual(
            view.queueActivity?.map((a) => `${a.type}:${a.receiveCount}`),
            ["sent:0", "received:1", "deleted:1", "received:2", "deleted:2"],
        );
        assert.deepEqual(
            logs.map((l) => [l.level, l.error ?? null]),
            [
                ["INFO", null],
                ["WARN", "TaskTimedOut"],
            ],
        );
        assert.equal(view.deadLetters, 0);
    });

    it("poison: a malformed message is refused maxReceiveCount times, then dead-lettered; the task times out", async () => {
        const { view, logs } = await runScenario("poison", { order: 42 }, { maxReceiveCount: 3 }, 2);
        assert.equal(view.deadLetters, 1);
        assert.deepEqual(
            view.queueActivity?.map((a) => `${a.type}:${a.receiveCount}`),
            ["sent:0", "received:1", "returned:1", "received:2", "returned:2", "received:3", "returned:3", "dead-lettered:3"],
        );
        assert.equal(logs.filter((l) => l.level === "ERROR" && String(l.message).startsWith("Malformed message")).length, 3);
        assert.ok(types(view, WAIT).includes("TaskTimedOut"));
        const timedOut = view.events.find((e) => e.type === "TaskTimedOut")?.taskTimedOutEventDetails;
        assert.equal(timedOut?.error, "States.Timeout");
        assert.match(view.notifications[0].message, /States.Timeout/);
        assert.equal(view.status, "FAILED");
    });

    it("fails the execution with the caught error for any execution input, object or not", async () => {
        // Each in a local run of its own, all at once: five of them wait out a 1 s task timeout.
        const inputs: unknown[] = [42, "text", [1, 2], 0, "", { fail: "no" }];
        const runs = inputs.map(async (input) => {
            const scenario = typeof input === "object" && !Array.isArray(input) ? "failure" : "timeout";
            return { input, scenario, ...(await runScenario(scenario, input, {}, 1)) };
        });
        for (const { input, scenario, view } of await Promise.all(runs)) {
            assert.equal(view.status, "FAILED", JSON.stringify(input));
            assert.equal(view.error, scenario === "failure" ? "TaskRejected" : "States.Timeout", JSON.stringify(input));
            assert.equal(view.notifications.length, 1, JSON.stringify(input));
        }
    });

    it("runs the inputs AWS accepts that are false in JavaScript: 0, false, an empty string, null", async () => {
        for (const input of [0, false, "", null]) {
            const { view } = await runScenario("success", input);
            assert.equal(view.status, "SUCCEEDED", `${JSON.stringify(input)}: ${view.error ?? ""} ${view.cause ?? ""}`);
            assert.deepEqual((view.queuedMessage as { Input: unknown }).Input, input, JSON.stringify(input));
            assert.equal(view.events[0].executionStartedEventDetails?.input, JSON.stringify(input));
        }
    });

    it("timeout: each execution's message waits for its own task's timeout, whenever it started", async () => {
        const workflow = await LocalWorkflow.start({
            settings: DEFAULT_SETTINGS,
            source: "test",
            taskTimeoutSeconds: 1,
            redeliveryDelayMs: 20,
        });
        try {
            const first = workflow.execute("first", {}, SCENARIOS.timeout.delivery);
            await new Promise((resolve) => setTimeout(resolve, 500));
            const second = workflow.execute("second", {}, SCENARIOS.timeout.delivery);
            for (const view of await Promise.all([first, second])) {
                assert.ok(types(view, WAIT).includes("TaskTimedOut"), `${view.name}: ${types(view, WAIT).join(", ")}`);
                assert.ok(view.durationMs! >= 1000, `${view.name} took ${view.durationMs} ms`);
            }
        } finally {
            await workflow.close();
        }
    });

    it("runs the stack's definition, built by the stack's builder from its settings", async () => {
        const settings = { ...DEFAULT_SETTINGS, taskTimeoutSeconds: 900, heartbeatSeconds: 120 };
        const workflow = await LocalWorkflow.start({ settings, source: "test" });
        try {
            const stack = buildCallbackDefinition({
                partition: "aws",
                queueUrl: "x",
                topicArn: "y",
                taskTimeoutSeconds: 900,
                heartbeatSeconds: 120,
            });
            const local = workflow.definition as unknown as typeof stack;
            // The interpreter fills in defaults (of Retry, Catch) in the object it was given: compare what the builder decides.
            for (const key of ["Type", "Resource", "TimeoutSeconds", "HeartbeatSeconds", "Next"] as const) {
                assert.deepEqual(local.States[WAIT][key], stack.States[WAIT][key], key);
            }
            const body = (d: typeof stack) => (d.States[WAIT].Parameters as { MessageBody: unknown }).MessageBody;
            assert.deepEqual(body(local), body(stack));
            assert.equal(local.States[WAIT].TimeoutSeconds, 900);
            assert.equal(local.States[WAIT].HeartbeatSeconds, 120);
            assert.deepEqual(Object.keys(local.States), Object.keys(stack.States));
            assert.deepEqual(workflow.notes(), ["a failed message comes back after 200 ms here (60 s, the visibility timeout, in AWS)"]);
        } finally {
            await workflow.close();
        }
    });

    it("runs many executions at once, each with its own token", async () => {
        const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test", redeliveryDelayMs: 20 });
        try {
            const views = await Promise.all(
                Array.from({ length: 30 }, (_, i) => workflow.execute(`many-${i}`, { i }, SCENARIOS.success.delivery)),
            );
            assert.deepEqual(new Set(views.map((v) => v.status)), new Set(["SUCCEEDED"]));
            assert.equal(new Set(views.map((v) => (v.queuedMessage as { TaskToken: string }).TaskToken)).size, 30);
            views.forEach((v, i) => assert.deepEqual((v.output as { MessageId?: string }).MessageId !== undefined, true, `execution ${i}`));
        } finally {
            await workflow.close();
        }
    });

    it("many executions at once: none lost, the function's environments scaled up to the mapping's maximum concurrency", async () => {
        const executions = 150;
        const maxConcurrentBatches = defaultMaxConcurrentBatches(executions, DEFAULT_SETTINGS.batchSize);
        const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test", maxConcurrentBatches });
        try {
            const views = await Promise.all(Array.from({ length: executions }, (_, i) => workflow.execute(`load-${i}`, { i })));
            const summary = summarize(views, executions, 1);
            assert.deepEqual(summary.outcomes, { "TaskSucceeded → Notify Success": executions });
            assert.equal(
                views.reduce((sum, v) => sum + (v.deadLetters ?? 0), 0),
                0,
            );
            const figures = workflow.environmentFigures();
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
        } finally {
            await workflow.close();
        }
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

    it("leaves no folder in the temporary directory: the function's code is loaded from the archive in memory", function () {
        this.timeout(120_000);
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "local-run-tmp-"));
        try {
            const child = (args: string[]) =>
                spawnSync(process.execPath, [...TYPESCRIPT_NODE_ARGS, ...args], {
                    cwd: PROJECT_ROOT,
                    encoding: "utf8",
                    timeout: 90_000,
                    // Where os.tmpdir() points in the child: a folder of this test's own. tsx's
                    // transpile cache (the test run's, not the program's) is off for this child.
                    env: { ...process.env, TMPDIR: tmp, TEMP: tmp, TMP: tmp, TSX_DISABLE_CACHE: "1" },
                });
            const run = child(["commands/start.ts", "--executions", "3", "--concurrency", "3"]);
            assert.equal(run.status, 0, run.stderr);
            // The in-process loader of the tests and the bench too.
            const loader = child(["-e", 'require("./local/bundled-handler").loadBundledHandler("http://127.0.0.1:9").restoreEnv()']);
            assert.equal(loader.status, 0, loader.stderr);
            // Nothing at all: no callback-bundle-* of the run, and no transpile cache (tsx's is off for this child).
            assert.deepEqual(fs.readdirSync(tmp), []);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("keeps none of the calls the function and the partner made: a long run with large inputs does not grow", async () => {
        const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test", handOff: true, partnerWorkMs: 10 });
        try {
            await workflow.execute("kept-1", { order: 1 }, SCENARIOS.handoff.delivery);
            await workflow.execute("kept-2", { order: 2 }, SCENARIOS.success.delivery);
            // Each call holds a task token and an output of up to 256 KiB.
            const { endpoint } = workflow as unknown as { endpoint: StepFunctionsEndpoint };
            assert.deepEqual(endpoint.calls, []);
        } finally {
            await workflow.close();
        }
    });

    it("tells executions apart by their path, not only their status", async () => {
        const success = (await runScenario("success")).view;
        const failure = (await runScenario("failure", { fail: "no" })).view;
        assert.equal(outcomeOf(success), "TaskSucceeded → Notify Success");
        assert.equal(outcomeOf(failure), "TaskFailed → Notify Failure");
        const summary = summarize([success, failure, failure], 2, 1000);
        assert.deepEqual(summary.statuses, { SUCCEEDED: 1, FAILED: 2 });
        assert.deepEqual(summary.outcomes, { "TaskSucceeded → Notify Success": 1, "TaskFailed → Notify Failure": 2 });
        assert.equal(summary.resources, undefined);
        const measured = summarize([success], 1, 1000, {
            peakMemoryBytes: 300 * 2 ** 20,
            environments: { started: 3, peak: 2, discarded: 1 },
        });
        assert.deepEqual(measured.resources?.environments, { started: 3, peak: 2, discarded: 1 });
        assert.match(
            renderSummary(measured),
            /^ {2}memory: {5}peak 300 MiB resident, 3 function environments started \(at most 2 at once, 1 discarded\)$/m,
        );
    });

    it("--expect: decides whether every execution took the path named, and says what happened instead", async () => {
        const { view: succeeded } = await runScenario("success");
        const { view: failed } = await runScenario("failure", { order: 42, fail: "out of stock" });
        assert.equal(unexpectedPath("success", [succeeded]), undefined);
        assert.equal(unexpectedPath("failure", [failed]), undefined);
        assert.equal(unexpectedPath("failure", [succeeded]), "expected failure, but execution test-success ended SUCCEEDED");
        assert.equal(
            unexpectedPath("success", [failed]),
            `expected success, but execution test-failure ended FAILED (${failed.error}: ${failed.cause})`,
        );
        assert.equal(
            unexpectedPath("failure", [{ ...failed, status: "RUNNING" }]),
            "expected failure, but execution test-failure is still RUNNING",
        );
        assert.equal(
            unexpectedPath("success", [succeeded, failed, failed, { ...failed, status: "TIMED_OUT" }]),
            "expected success, but 3 of 4 executions took another path (2 FAILED, 1 TIMED_OUT): " +
                `test-failure ended FAILED (${failed.error}: ${failed.cause}); `.repeat(2) +
                `test-failure ended TIMED_OUT (${failed.error}: ${failed.cause})`,
        );
        assert.equal(unexpectedPath("success", [{ ...failed, cause: "a\nforged line" }])?.includes("\n"), false, "one line, escaped");
    });

    it("shows the queued message as the history's scheduled parameters hold it, tokens shortened at any depth alike", async () => {
        const nested = "n".repeat(64); // a token-like field of the user's own input
        const { view } = await runScenario("success", { order: 42, TaskToken: nested });
        const scheduled = view.events.find((event) => event.type === "TaskScheduled")?.taskScheduledEventDetails?.parameters;
        assert.deepEqual(view.queuedMessage, (JSON.parse(scheduled ?? "{}") as { MessageBody: unknown }).MessageBody);
        assert.ok(!JSON.stringify(view.queuedMessage).includes(nested));
    });

    it("--expect with many executions names the ones that took another path, the first few in full", async () => {
        const { view: succeeded } = await runScenario("success");
        const { view: failed } = await runScenario("failure", { order: 42, fail: "out of stock" });
        const many = Array.from({ length: 50 }, (_, i) => ({ ...succeeded, name: `run-${i}` }));
        assert.equal(
            unexpectedPath("success", many.with(17, { ...failed, name: "run-17" })),
            `expected success, but 1 of 50 executions took another path (1 FAILED): run-17 ended FAILED (${failed.error}: ${failed.cause})`,
        );
        const missed = many.map((view, i) => (i % 10 === 3 ? { ...failed, name: `run-${i}`, cause: undefined } : view));
        const line = unexpectedPath("success", missed) ?? "";
        const named = Array.from({ length: MAX_NAMED_EXECUTIONS }, (_, i) => `run-${i * 10 + 3} ended FAILED (${failed.error})`);
        assert.equal(
            line,
            `expected success, but 5 of 50 executions took another path (5 FAILED): ${named.join("; ")}; ${5 - MAX_NAMED_EXECUTIONS} more`,
        );
    });

    it("prints an execution's error, cause and notification with control characters escaped (no forged lines)", async () => {
        const forged = "out of stock\n  note: payment captured\u001b[2K\u001b[1AExecution demo: SUCCEEDED";
        const { view } = await runScenario("failure", { fail: forged });
        assert.equal(view.cause, forged, "the view keeps the cause as it is");
        const text = renderExecution(view);
        // eslint-disable-next-line no-control-regex -- what must not reach the terminal
        assert.doesNotMatch(text, /\u001b/);
        assert.doesNotMatch(text, /^\s*note: payment captured/m);
        assert.ok(text.includes("cause:  out of stock\\n  note: payment captured\\u001b[2K\\u001b[1AExecution demo: SUCCEEDED"), text);
    });

    it("escapes bidi overrides, line separators, C1 controls and DEL anywhere in the view: name, input, queued message", async () => {
        const tricky = "rejected\u202e DEDEECCUS\u2028status: SUCCEEDED\u009b2J\u007f";
        const { view } = await runScenario("failure", { fail: tricky, note: tricky });
        const text = renderExecution({ ...view, name: "demo\u202eDEDEECCUS" });
        assert.doesNotMatch(text, /[\u0080-\u009f\u007f\u2028\u202e]/);
        assert.ok(text.startsWith("Execution demo\\u202eDEDEECCUS: FAILED"), text.split("\n")[0]);
        assert.ok(text.includes("\\u202e DEDEECCUS\\u2028status: SUCCEEDED\\u009b2J\\u007f"));
    });

    it("renders the console's view: status, message, history table and notification", async () => {
        const { view } = await runScenario("success");
        const text = renderExecution(view);
        assert.match(text, /^Execution test-success: SUCCEEDED in \d+ ms/);
        assert.match(text, /Message sent to the queue:\n {2}\{\n {4}"MessageTitle"/);
        assert.match(text, /Event history:\n {2}ID {2}Type +State +Elapsed ms {2}Details\n/);
        // The task's output is shown beside its TaskSucceeded, as the history holds it.
        const output = view.events.find((e) => e.type === "TaskSucceeded")?.taskSucceededEventDetails?.output;
        assert.ok(output !== undefined);
        assert.match(text, new RegExp(` 6 {2}TaskSucceeded {7}Start Task And Wait For Callback +\\d+  output: ${escapeRegExp(output)}\n`));
        assert.match(text, /Notification \(SNS arn:aws:sns:local:000000000000:callback-pattern-notifications\):\n {2}Callback received\./);
    });
});
