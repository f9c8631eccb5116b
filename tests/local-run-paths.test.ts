/**
 * The local run end to end (`npm start`), the paths an execution takes: success, failure, a
 * duplicate delivery; and that the run's definition is the stack's own.
 * The stack's definition in aws-local-stepfunctions, the in-process queue, the bundled callback
 * function and the loopback Step Functions endpoint; helpers in `support/local-run.ts`.
 */
import { strict as assert } from "node:assert";
import { DEFAULT_SETTINGS } from "../infra/config";
import { buildCallbackDefinition, FAILURE_MESSAGE, STATE_NAMES, SUCCESS_MESSAGE } from "../infra/definition";
import { renderExecution } from "../view/execution-view";
import { LocalWorkflow } from "../local/local-workflow";
import { runScenario, types, WAIT } from "./support/local-run";

describe("local run (npm start): paths", () => {
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
});
