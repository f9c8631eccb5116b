/**
 * The local run end to end (`npm start`), the handoff, where a partner returns the token after the
 * function acknowledged the message: heartbeats, late and too large answers, long waits.
 * The stack's definition in aws-local-stepfunctions, the in-process queue, the bundled callback
 * function and the loopback Step Functions endpoint; helpers in `support/local-run.ts`.
 */
import { strict as assert } from "node:assert";
import { DEFAULT_SETTINGS } from "../infra/config";
import { MAX_TASK_TIMEOUT_SECONDS, STATE_NAMES } from "../infra/definition";
import { LocalWorkflow } from "../local/local-workflow";
import { SCENARIOS } from "../local/scenarios";
import type { StepFunctionsEndpoint } from "../local/step-functions-endpoint";
import { heartbeatIntervalMs } from "../functions/callback/heartbeats";
import { runScenario, types, WAIT } from "./support/local-run";
import { sideBySide } from "./support/side-by-side";

/** How long the partner works in the plain handoff. */
const HANDOFF_WORK_MS = 400;
/** HeartbeatSeconds 3, the partner works 3.6 s: only its heartbeats keep the task alive past 3 s. */
// The function's cold start comes before the partner's first heartbeat (an interval after it got the
// task), all within HeartbeatSeconds: with 1 s, and then 2 s, a loaded parallel run timed it out.
const HEARTBEAT_SECONDS = 3;
const HEARTBEAT_WORK_MS = 3600;

describe("local run (npm start): handoff", () => {
    // Each waits for a partner or a timer: side by side, the file takes the longest one's time.
    const runs = sideBySide({
        handoff: () => runScenario("handoff", { order: 42 }, {}, undefined, HANDOFF_WORK_MS),
        heartbeats: () => runScenario("handoff", { order: 42 }, { heartbeatSeconds: HEARTBEAT_SECONDS }, 10, HEARTBEAT_WORK_MS),
        // TimeoutSeconds 1, the partner works 1.3 s: its SendTaskSuccess comes after the task ended.
        late: () => runScenario("handoff", { order: 42 }, {}, 1, 1300),
        tooLarge: () => runScenario("handoff", { blob: "x".repeat(262_100) }, {}, 5, 100),
    });

    it("handoff: the function hands the task to a partner and acknowledges the message; the task waits for the partner's answer", async () => {
        const partnerWorkMs = HANDOFF_WORK_MS;
        const { view, logs } = await runs.handoff();
        assert.equal(view.status, "SUCCEEDED");
        const waited = view.history.find((row) => row.type === "TaskSucceeded" && row.state === WAIT);
        assert.ok(waited !== undefined && waited.elapsedMs >= partnerWorkMs, `the task ended after ${waited?.elapsedMs} ms`);
        // The function acknowledged the message at once, without a callback of its own.
        assert.deepEqual(
            view.queueActivity!.map((event) => event.type),
            ["sent", "received", "deleted"],
        );
        // Before the partner's answer ended the task (an order of events, not a race with the
        // clock: on a loaded machine the acknowledgement itself may take longer than the work).
        const deleted = view.queueActivity!.find((event) => event.type === "deleted");
        assert.ok(deleted !== undefined && deleted.elapsedMs < waited.elapsedMs, `deleted at ${deleted?.elapsedMs} ms`);
        assert.deepEqual(
            logs.map((line) => line.message),
            ["Task handed off: an external process returns the token; message acknowledged"],
        );
        assert.deepEqual(types(view, STATE_NAMES.notifySuccess).slice(-1), ["TaskStateExited"]);
    });

    it("handoff: the partner's heartbeats keep a task with HeartbeatSeconds alive past it", async () => {
        const heartbeatSeconds = HEARTBEAT_SECONDS;
        const partnerWorkMs = HEARTBEAT_WORK_MS;
        const { view } = await runs.heartbeats();
        assert.equal(view.status, "SUCCEEDED", JSON.stringify(view.notes));
        // At least one per HeartbeatSeconds of work (fewer and the task would have timed out), at
        // most one per interval (the interval runs from one heartbeat's end to the next's start).
        const sent = Number(view.notes!.map((note) => /the partner sent (\d+) heartbeats?/.exec(note)?.[1]).find(Boolean));
        assert.ok(
            sent >= Math.floor(partnerWorkMs / (heartbeatSeconds * 1000)) &&
                sent <= Math.floor(partnerWorkMs / heartbeatIntervalMs(heartbeatSeconds)),
            view.notes!.join("\n"),
        );
    });

    it("handoff: a task that times out before the partner answers: the partner's late answer is refused as gone, and said so", async () => {
        const { view } = await runs.late();
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
        const { view } = await runs.tooLarge();
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
});
