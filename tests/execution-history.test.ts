/** The local run's event history in AWS's shape (`local/execution-history.ts`), from the interpreter's log. */
import { strict as assert } from "node:assert";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { StateMachine } from "aws-local-stepfunctions";
import { buildHistory, INTERPRETER_FAIL_STATE_ERROR, taskResource, type InterpreterEvent, type TaskCall } from "../local/execution-history";
import { DETAIL_WIDTH, eventDetail, shortToken, viewFromHistory } from "../view/execution-view";

const REGION = "local";
const SEND = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
const TOKEN = "AQB4AAAAKgAAAAMAAAAAAAAAAR".repeat(10);

/** Runs `definition` in the interpreter with `handlers` for its Task states; returns its log. */
async function interpreterLog(
    definition: object,
    input: unknown,
    handlers: Record<string, (input: unknown) => Promise<unknown>> = {},
): Promise<InterpreterEvent[]> {
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    const run = machine.run(input as never, { overrides: { taskResourceLocalHandlers: handlers as never } });
    const log: InterpreterEvent[] = [];
    const logged = (async () => {
        for await (const event of run.eventLogs) log.push(event);
    })();
    await run.result.catch(() => undefined);
    await logged;
    return log;
}

const types = (events: HistoryEvent[]) => events.map((event) => event.type);

describe("execution history in AWS's shape", () => {
    it("names state events after the state's type, for any definition; ids count up, each previousEventId is the event before", async () => {
        const definition = {
            StartAt: "Prepare",
            States: {
                Prepare: { Type: "Pass", Result: { ok: true }, Next: "Pause" },
                Pause: { Type: "Wait", Seconds: 0, Next: "Decide" },
                Decide: { Type: "Choice", Choices: [{ Variable: "$.ok", BooleanEquals: true, Next: "Done" }], Default: "Stop" },
                Done: { Type: "Succeed" },
                Stop: { Type: "Fail", Error: "Never" },
            },
        };
        const events = buildHistory(await interpreterLog(definition, { order: 1 }), [], { region: REGION });
        assert.deepEqual(types(events), [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded",
        ]);
        assert.deepEqual(
            events.map((event) => [event.id, event.previousEventId]),
            events.map((_, i) => [i + 1, i]),
        );
        assert.ok(events.every((event) => event.timestamp instanceof Date));
        // Input on the start and on each entry, output on each exit and on the success.
        assert.equal(events[0].executionStartedEventDetails?.input, '{"order":1}');
        assert.deepEqual(events[1].stateEnteredEventDetails, { name: "Prepare", input: '{"order":1}' });
        assert.deepEqual(events[2].stateExitedEventDetails, { name: "Prepare", output: '{"ok":true}' });
        assert.equal(events.at(-1)?.executionSucceededEventDetails?.output, '{"ok":true}');
    });

    it("a Fail state is entered, never exited; the execution fails with its error and cause", async () => {
        const definition = { StartAt: "Stop", States: { Stop: { Type: "Fail", Error: "OrderRejected", Cause: "out of stock" } } };
        const events = buildHistory(await interpreterLog(definition, {}), [], { region: REGION });
        assert.deepEqual(types(events), ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]);
        assert.deepEqual(events[2].executionFailedEventDetails, { error: "OrderRejected", cause: "out of stock" });
    });

    it("a Fail state with no Error or no Cause fails the execution without it, not with the interpreter's stand-in", async () => {
        const fail = (state: object) => ({ StartAt: "Stop", States: { Stop: { Type: "Fail", ...state } } });
        const log = await interpreterLog(fail({}), {});
        const logged = log.find((event) => event.type === "ExecutionFailed");
        assert.deepEqual(logged && [logged.Error, logged.Cause], [INTERPRETER_FAIL_STATE_ERROR.error, INTERPRETER_FAIL_STATE_ERROR.cause]);
        assert.deepEqual(buildHistory(log, [], { region: REGION }).at(-1)?.executionFailedEventDetails, {});
        // The error named by path, no cause: as the definition's Fail state for a failure without a cause.
        const named = await interpreterLog(fail({ ErrorPath: "$.Error" }), { Error: "OrderRejected" });
        assert.deepEqual(buildHistory(named, [], { region: REGION }).at(-1)?.executionFailedEventDetails, { error: "OrderRejected" });
    });

    it("gives a task's events the details AWS gives: parameters (token shortened), the send's result, the task's output", async () => {
        const definition = {
            StartAt: "Wait",
            States: {
                Wait: {
                    Type: "Task",
                    Resource: SEND,
                    Parameters: { QueueUrl: "q", MessageBody: { TaskToken: TOKEN, "Input.$": "$" } },
                    TimeoutSeconds: 30,
                    HeartbeatSeconds: 10,
                    End: true,
                },
            },
        };
        const calls: TaskCall[] = [];
        const log = await interpreterLog(
            definition,
            { order: 7 },
            {
                Wait: async (parameters) => {
                    calls.push({
                        state: "Wait",
                        resource: SEND,
                        parameters,
                        timeoutInSeconds: 30,
                        heartbeatInSeconds: 10,
                        scheduledAt: Date.now(),
                        submitted: { output: { MessageId: "m-1" }, timestamp: Date.now() },
                        succeeded: { output: { shipped: true }, timestamp: Date.now() },
                    });
                    return { shipped: true };
                },
            },
        );
        const events = buildHistory(log, calls, { region: REGION });
        assert.deepEqual(types(events), [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded",
        ]);
        const { resourceType, resource } = taskResource(SEND);
        assert.deepEqual(events[2].taskScheduledEventDetails, {
            resourceType,
            resource,
            region: REGION,
            parameters: JSON.stringify({ QueueUrl: "q", MessageBody: { TaskToken: shortToken(TOKEN), Input: { order: 7 } } }),
            timeoutInSeconds: 30,
            heartbeatInSeconds: 10,
        });
        assert.deepEqual(events[3].taskStartedEventDetails, { resourceType, resource });
        assert.deepEqual(events[4].taskSubmittedEventDetails, { resourceType, resource, output: '{"MessageId":"m-1"}' });
        assert.deepEqual(events[5].taskSucceededEventDetails, { resourceType, resource, output: '{"shipped":true}' });
        assert.ok(!JSON.stringify(events).includes(TOKEN), "the whole token is never in the history");
    });

    it("a task's failure is TaskFailed, a timeout TaskTimedOut, each with the error and cause; a retry schedules the task again", async () => {
        const definition = {
            StartAt: "Work",
            States: {
                Work: {
                    Type: "Task",
                    Resource: "arn:aws:states:::lambda:invoke",
                    Retry: [{ ErrorEquals: ["Flaky"], IntervalSeconds: 0, MaxAttempts: 1 }],
                    TimeoutSeconds: 1,
                    End: true,
                },
            },
        };
        const calls: TaskCall[] = [];
        let attempt = 0;
        const log = await interpreterLog(
            definition,
            {},
            {
                Work: async (parameters) => {
                    calls.push({ state: "Work", resource: "arn:aws:states:::lambda:invoke", parameters, scheduledAt: Date.now() });
                    if (++attempt === 1) throw Object.assign(new Error("try again"), { name: "Flaky" });
                    return new Promise(() => undefined); // never answers: the interpreter times it out
                },
            },
        );
        const events = buildHistory(log, calls, { region: REGION });
        assert.deepEqual(types(events), [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskTimedOut",
            "ExecutionFailed",
        ]);
        assert.deepEqual(events[4].taskFailedEventDetails, {
            resourceType: "lambda",
            resource: "invoke",
            error: "Flaky",
            cause: "try again",
        });
        assert.equal(events[7].taskTimedOutEventDetails?.error, "States.Timeout");
        assert.equal(events[8].executionFailedEventDetails?.error, "States.Timeout");
    });

    it("gives each of a Map's iterations of a task its own end, whichever ends first", async () => {
        const resource = "arn:aws:states:::lambda:invoke";
        const definition = {
            StartAt: "Each",
            States: {
                Each: {
                    Type: "Map",
                    ItemsPath: "$.items",
                    Iterator: { StartAt: "Work", States: { Work: { Type: "Task", Resource: resource, End: true } } },
                    End: true,
                },
            },
        };
        const calls: TaskCall[] = [];
        // The first item's task takes longer than the second's: they end in the other order.
        const log = await interpreterLog(
            definition,
            { items: [30, 1] },
            {
                Work: async (item) => {
                    const call: TaskCall = { state: "Work", resource, parameters: item, scheduledAt: Date.now() };
                    calls.push(call);
                    await new Promise((resolve) => setTimeout(resolve, Number(item)));
                    call.succeeded = { output: { done: item }, timestamp: Date.now() };
                    return call.succeeded.output;
                },
            },
        );
        const events = buildHistory(log, calls, { region: REGION });
        const ends = events.filter((event) => event.type === "TaskSucceeded").map((event) => event.taskSucceededEventDetails?.output);
        assert.deepEqual(ends, ['{"done":1}', '{"done":30}']);
        // Each iteration's TaskSucceeded comes just before its state's exit, with the same output.
        for (const [i, event] of events.entries()) {
            if (event.type !== "TaskStateExited") continue;
            assert.equal(events[i - 1].type, "TaskSucceeded");
            assert.equal(events[i - 1].taskSucceededEventDetails?.output, event.stateExitedEventDetails?.output);
        }
    });

    it("an answer after the state failed is not the task's end: a late success stays out", async () => {
        const started = Date.now();
        const log: InterpreterEvent[] = [
            { type: "ExecutionStarted", timestamp: started, input: {} },
            { type: "StateEntered", timestamp: started, state: { name: "Wait", type: "Task", input: {} } },
            {
                type: "StateFailed",
                timestamp: started + 10,
                state: { name: "Wait", type: "Task", input: {} },
                Error: "States.Timeout",
                Cause: "",
            },
            { type: "ExecutionFailed", timestamp: started + 10, Error: "States.Timeout", Cause: "" },
        ];
        const late: TaskCall = {
            state: "Wait",
            resource: SEND,
            parameters: {},
            scheduledAt: started,
            succeeded: { output: {}, timestamp: started + 20 },
        };
        const events = buildHistory(log, [late], { region: REGION });
        assert.deepEqual(types(events), [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskTimedOut",
            "ExecutionFailed",
        ]);
        assert.deepEqual(events[4].taskTimedOutEventDetails, {
            resourceType: "sqs",
            resource: "sendMessage.waitForTaskToken",
            error: "States.Timeout",
        });
    });

    it("the table's Details: a task's output, an error and cause; cut to DETAIL_WIDTH characters, never inside one", () => {
        const at = new Date();
        const succeeded = (output: string): HistoryEvent => ({
            id: 1,
            timestamp: at,
            type: "TaskSucceeded",
            taskSucceededEventDetails: { resourceType: "sqs", resource: "sendMessage.waitForTaskToken", output },
        });
        assert.equal(eventDetail(succeeded('{"a":1}')), 'output: {"a":1}');
        assert.equal(
            eventDetail({
                id: 2,
                timestamp: at,
                type: "ExecutionFailed",
                executionFailedEventDetails: { error: "E", cause: "line\nbreak" },
            }),
            "error: E, cause: line\\nbreak",
        );
        // An emoji (two UTF-16 units) where the cut falls: it is left out whole, not halved.
        const prefix = "output: ".length;
        const cut = eventDetail(succeeded(`${"x".repeat(DETAIL_WIDTH - 2 - prefix)}\u{1F600}${"y".repeat(DETAIL_WIDTH)}`));
        assert.ok(cut.endsWith("…"));
        assert.ok(cut.length <= DETAIL_WIDTH);
        assert.doesNotMatch(cut, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, "no high surrogate without its pair");
    });

    it("a deployed execution's notifications are the publishes that succeeded: a retried one counts once, a failed one not at all", () => {
        const at = new Date();
        const publish = (message: string): HistoryEvent => ({
            id: 0,
            timestamp: at,
            type: "TaskScheduled",
            taskScheduledEventDetails: {
                resourceType: "sns",
                resource: "publish",
                region: REGION,
                parameters: JSON.stringify({ TopicArn: "arn:aws:sns:eu-west-1:123456789012:t", Message: message }),
            },
        });
        const failed: HistoryEvent = {
            id: 0,
            timestamp: at,
            type: "TaskFailed",
            taskFailedEventDetails: { resourceType: "sns", resource: "publish", error: "SNS.ThrottledException" },
        };
        const succeeded: HistoryEvent = {
            id: 0,
            timestamp: at,
            type: "TaskSucceeded",
            taskSucceededEventDetails: { resourceType: "sns", resource: "publish", output: '{"MessageId":"m"}' },
        };
        const view = (events: HistoryEvent[]) =>
            viewFromHistory({
                name: "e",
                source: "test",
                status: "SUCCEEDED",
                events: events.map((event, i) => ({ ...event, id: i + 1 })),
            });
        assert.deepEqual(
            view([publish("done"), failed, publish("done"), succeeded]).notifications.map((n) => n.message),
            ["done"],
        );
        assert.deepEqual(view([publish("done"), failed, publish("done"), failed]).notifications, []);
    });

    it("names a task's resource as AWS does", () => {
        assert.deepEqual(taskResource("arn:aws:states:::sns:publish"), { resourceType: "sns", resource: "publish" });
        assert.deepEqual(taskResource("arn:aws:lambda:eu-west-1:123456789012:function:f"), {
            resourceType: "lambda",
            resource: "arn:aws:lambda:eu-west-1:123456789012:function:f",
        });
    });
});
