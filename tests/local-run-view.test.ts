/**
 * The local run end to end (`npm start`), the console's view of its executions: their paths, --expect,
 * the rendered history, control characters escaped.
 * The stack's definition in aws-local-stepfunctions, the in-process queue, the bundled callback
 * function and the loopback Step Functions endpoint; helpers in `support/local-run.ts`.
 */
import { strict as assert } from "node:assert";
import { MAX_NAMED_EXECUTIONS, outcomeOf, renderExecution, renderSummary, summarize, unexpectedPath } from "../view/execution-view";
import type { ScenarioName } from "../local/scenarios";
import { runScenario } from "./support/local-run";

/**
 * One local run per scenario and input, shared by the tests of this file: they only read the
 * run's view (a copy where they change it), and four of them need the same successful execution.
 */
const runs = new Map<string, ReturnType<typeof runScenario>>();
const viewOf = async (scenario: ScenarioName, input?: unknown) => {
    const key = `${scenario} ${JSON.stringify(input)}`;
    if (!runs.has(key)) runs.set(key, runScenario(scenario, input));
    return (await runs.get(key)!).view;
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("local run (npm start): view", () => {
    it("tells executions apart by their path, not only their status", async () => {
        const success = await viewOf("success");
        const failure = await viewOf("failure", { fail: "no" });
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
        const succeeded = await viewOf("success");
        const failed = await viewOf("failure", { order: 42, fail: "out of stock" });
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
        const view = await viewOf("success", { order: 42, TaskToken: nested });
        const scheduled = view.events.find((event) => event.type === "TaskScheduled")?.taskScheduledEventDetails?.parameters;
        assert.deepEqual(view.queuedMessage, (JSON.parse(scheduled ?? "{}") as { MessageBody: unknown }).MessageBody);
        assert.ok(!JSON.stringify(view.queuedMessage).includes(nested));
    });

    it("--expect with many executions names the ones that took another path, the first few in full", async () => {
        const succeeded = await viewOf("success");
        const failed = await viewOf("failure", { order: 42, fail: "out of stock" });
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
        const view = await viewOf("failure", { fail: forged });
        assert.equal(view.cause, forged, "the view keeps the cause as it is");
        const text = renderExecution(view);
        // eslint-disable-next-line no-control-regex -- what must not reach the terminal
        assert.doesNotMatch(text, /\u001b/);
        assert.doesNotMatch(text, /^\s*note: payment captured/m);
        assert.ok(text.includes("cause:  out of stock\\n  note: payment captured\\u001b[2K\\u001b[1AExecution demo: SUCCEEDED"), text);
    });

    it("escapes bidi overrides, line separators, C1 controls and DEL anywhere in the view: name, input, queued message", async () => {
        const tricky = "rejected\u202e DEDEECCUS\u2028status: SUCCEEDED\u009b2J\u007f";
        const view = await viewOf("failure", { fail: tricky, note: tricky });
        const text = renderExecution({ ...view, name: "demo\u202eDEDEECCUS" });
        assert.doesNotMatch(text, /[\u0080-\u009f\u007f\u2028\u202e]/);
        assert.ok(text.startsWith("Execution demo\\u202eDEDEECCUS: FAILED"), text.split("\n")[0]);
        assert.ok(text.includes("\\u202e DEDEECCUS\\u2028status: SUCCEEDED\\u009b2J\\u007f"));
    });

    it("renders the console's view: status, message, history table and notification", async () => {
        const view = await viewOf("success");
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
