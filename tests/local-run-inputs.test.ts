/**
 * The local run end to end (`npm start`), what it is given: a malformed message, execution inputs of
 * any JSON type, those false in JavaScript.
 * The stack's definition in aws-local-stepfunctions, the in-process queue, the bundled callback
 * function and the loopback Step Functions endpoint; helpers in `support/local-run.ts`.
 */
import { strict as assert } from "node:assert";
import { DEFAULT_SETTINGS } from "../infra/config";
import { LocalWorkflow } from "../local/local-workflow";
import { SCENARIOS } from "../local/scenarios";
import { runScenario, types, WAIT } from "./support/local-run";

describe("local run (npm start): inputs", () => {
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
        // Two local runs at once: in one, five executions wait out a 1 s task timeout (each has its
        // own message and token, so one run tells the inputs apart as well as five would); in the
        // other the function fails the task, with the default timeout: on a loaded machine, the
        // function's first start can take longer than 1 s, and the task would time out first.
        const start = (taskTimeoutSeconds: number) =>
            LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test", taskTimeoutSeconds, redeliveryDelayMs: 20 });
        const [timingOut, failing] = await Promise.all([start(1), start(DEFAULT_SETTINGS.taskTimeoutSeconds)]);
        try {
            const timedOut = [42, "text", [1, 2], 0, ""].map(async (input, i) => ({
                input,
                error: "States.Timeout",
                view: await timingOut.execute(`input-${i}`, input, SCENARIOS.timeout.delivery),
            }));
            const failed = [{ fail: "no" }].map(async (input, i) => ({
                input,
                error: "TaskRejected",
                view: await failing.execute(`object-input-${i}`, input, SCENARIOS.failure.delivery),
            }));
            for (const { input, error, view } of await Promise.all([...timedOut, ...failed])) {
                assert.equal(view.status, "FAILED", JSON.stringify(input));
                assert.equal(view.error, error, JSON.stringify(input));
                assert.equal(view.notifications.length, 1, JSON.stringify(input));
            }
        } finally {
            await Promise.all([timingOut.close(), failing.close()]);
        }
    });

    it("runs the inputs AWS accepts that are false in JavaScript: 0, false, an empty string, null", async () => {
        const workflow = await LocalWorkflow.start({ settings: DEFAULT_SETTINGS, source: "test", redeliveryDelayMs: 20 });
        try {
            const inputs = [0, false, "", null];
            const views = await Promise.all(inputs.map((input, i) => workflow.execute(`falsy-${i}`, input, SCENARIOS.success.delivery)));
            inputs.forEach((input, i) => {
                const view = views[i];
                assert.equal(view.status, "SUCCEEDED", `${JSON.stringify(input)}: ${view.error ?? ""} ${view.cause ?? ""}`);
                assert.deepEqual((view.queuedMessage as { Input: unknown }).Input, input, JSON.stringify(input));
                assert.equal(view.events[0].executionStartedEventDetails?.input, JSON.stringify(input));
            });
        } finally {
            await workflow.close();
        }
    });
});
