/**
 * The local run end to end (`npm start`), the task's timers: TimeoutSeconds and HeartbeatSeconds,
 * shortened for the run or as long as the config allows.
 * The stack's definition in aws-local-stepfunctions, the in-process queue, the bundled callback
 * function and the loopback Step Functions endpoint; helpers in `support/local-run.ts`.
 */
import { strict as assert } from "node:assert";
import { DEFAULT_SETTINGS } from "../infra/config";
import { MAX_TASK_TIMEOUT_SECONDS } from "../infra/definition";
import { LocalWorkflow } from "../local/local-workflow";
import { SCENARIOS } from "../local/scenarios";
import type { ExecutionView } from "../view/execution-view";
import { runScenario, types, WAIT } from "./support/local-run";
import { sideBySide } from "./support/side-by-side";

/** Two executions of one local run, the second started 500 ms after the first, both timing out. */
async function staggeredTimeouts(): Promise<ExecutionView[]> {
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
        return await Promise.all([first, second]);
    } finally {
        await workflow.close();
    }
}

describe("local run (npm start): timeouts", () => {
    // Each waits out a whole-second timer: side by side, the file takes the longest one's time.
    const runs = sideBySide({
        timeout: () => runScenario("timeout", { order: 42 }, {}, 1),
        heartbeat: () => runScenario("timeout", { order: 42 }, { heartbeatSeconds: 1 }, 3),
        staggered: staggeredTimeouts,
    });

    it("timeout: no callback within TimeoutSeconds raises States.Timeout; the late message is acknowledged as TaskTimedOut", async () => {
        const { view, logs } = await runs.timeout();
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
        const { view } = await runs.heartbeat();
        assert.ok(view.durationMs! >= 1000 && view.durationMs! < 2500, `took ${view.durationMs} ms`);
        assert.match(view.notifications[0].message, /"Error":"States.Timeout","Cause":"No heartbeat within HeartbeatSeconds \(1\)\."/);
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

    it("timeout: each execution's message waits for its own task's timeout, whenever it started", async () => {
        for (const view of await runs.staggered()) {
            assert.ok(types(view, WAIT).includes("TaskTimedOut"), `${view.name}: ${types(view, WAIT).join(", ")}`);
            assert.ok(view.durationMs! >= 1000, `${view.name} took ${view.durationMs} ms`);
        }
    });
});
