/**
 * The event history of a local execution as `GetExecutionHistory` gives it: AWS's `HistoryEvent`s
 * (`id`, `previousEventId`, `timestamp`, `type`, `…EventDetails`), built from what the
 * `aws-local-stepfunctions` interpreter logs (execution and state events, in the order they
 * happened) and from what the local run's task handlers saw (each call of a Task state's resource:
 * its parameters, the send's result, the task's output). Pure: no clock, no I/O.
 */
import type { HistoryEvent, HistoryEventType } from "@aws-sdk/client-sfn";
import type { StateMachine } from "aws-local-stepfunctions";
import { withShortTokens } from "../view/execution-view";

/** One event of the interpreter's log (the package does not export the type by name). */
export type InterpreterEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/** One call of a Task state's resource, as the local run's handler for that state saw it. */
export interface TaskCall {
    /** The Task state's name. */
    state: string;
    /** The state's `Resource` (`arn:aws:states:::sqs:sendMessage.waitForTaskToken`, …). */
    resource: string;
    /** The parameters the handler was called with (the state's `Parameters`, resolved). */
    parameters: unknown;
    /** The state's `TimeoutSeconds` and `HeartbeatSeconds`, when it has them. */
    timeoutInSeconds?: number;
    heartbeatInSeconds?: number;
    /** When the handler was called: the task was scheduled and started. */
    scheduledAt: number;
    /** What the service answered when the task was handed over (the SQS send of a `.waitForTaskToken` task). */
    submitted?: { output: unknown; timestamp: number };
    /** What the task returned, when it did. */
    succeeded?: { output: unknown; timestamp: number };
}

/** Where the execution ran, for the details that name it. */
export interface HistoryContext {
    region: string;
}

/**
 * The `resourceType` and `resource` AWS gives a task of this `Resource`: for an optimized
 * integration `arn:aws:states:::sqs:sendMessage.waitForTaskToken`, `sqs` and
 * `sendMessage.waitForTaskToken`; for any other ARN, its service and the ARN itself.
 */
export function taskResource(arn: string): { resourceType: string; resource: string } {
    const integration = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(arn);
    if (integration !== null) return { resourceType: integration[1], resource: integration[2] };
    return { resourceType: arn.split(":")[2] ?? "", resource: arn };
}

/**
 * What the interpreter puts in place of a Fail state's Error and Cause when the state names none
 * (AWS leaves them out of the ExecutionFailed event's details and of DescribeExecution).
 */
export const INTERPRETER_FAIL_STATE_ERROR = { error: "FailStateError", cause: "Execution failed because of a Fail state" } as const;

/** JSON text as the history holds it (`undefined` stays absent, a task token is shortened). */
function json(value: unknown): string | undefined {
    return value === undefined ? undefined : JSON.stringify(withShortTokens(value));
}

/** A `Cause` the interpreter logged (any value) as the text AWS gives: a string stays as it is. */
function causeText(cause: unknown): string | undefined {
    if (cause === undefined || cause === null || cause === "") return undefined;
    return typeof cause === "string" ? cause : JSON.stringify(cause);
}

/** Event types with a state's type in front: `TaskStateEntered`, `PassStateExited`, `FailStateEntered`. */
function stateEventType(stateType: string, suffix: "StateEntered" | "StateExited"): HistoryEventType {
    return `${stateType}${suffix}` as HistoryEventType;
}

/** What tells a state's visits apart: its name and, inside a Map, the iteration's index. */
function visitKey(event: { state: { name: string }; index?: number }): string {
    return JSON.stringify([event.state.name, event.index ?? null]);
}

/**
 * Builds the history of one execution. `log` is the interpreter's log in order; `calls` the task
 * handlers' calls in the order they were made. A Task state's call belongs to its current visit:
 * its TaskScheduled, TaskStarted and TaskSubmitted follow the state's entry; it ends in
 * TaskSucceeded (the state exits) or, when the state fails, TaskFailed or TaskTimedOut with the
 * interpreter's error and cause (the interpreter enforces TimeoutSeconds itself: a task it timed
 * out may still answer later, which is not part of the history). A failure before the call (the
 * parameters could not be resolved) has no task events, as in AWS. The states inside a Map's
 * iterations and a Parallel's branches are recorded as they ran, each task's end matched to its own
 * iteration, but not the iteration and branch events themselves. Each event's previousEventId is
 * the event before it (the project's workflow is linear).
 */
export function buildHistory(log: readonly InterpreterEvent[], calls: readonly TaskCall[], context: HistoryContext): HistoryEvent[] {
    const events: HistoryEvent[] = [];
    const add = (type: HistoryEventType, timestamp: number, details: Omit<HistoryEvent, "id" | "type" | "timestamp">) =>
        events.push({
            id: events.length + 1,
            previousEventId: events.length,
            timestamp: new Date(timestamp),
            type,
            ...details,
        });
    const pending = [...calls];
    /** The type of the state entered last: a Fail state's failure is the execution's. */
    let lastEntered: string | undefined;
    /**
     * The call the current visit of a state made (taken once: a retry makes the next one), by
     * {@link visitKey}: a Map's iterations visit the same state at once.
     */
    const open = new Map<string, TaskCall>();
    const take = (state: string) => {
        const index = pending.findIndex((call) => call.state === state);
        if (index < 0) return undefined;
        const [call] = pending.splice(index, 1);
        return call;
    };
    /** Emits a call's start: TaskScheduled, TaskStarted and, when it was handed over, TaskSubmitted. */
    const startCall = (call: TaskCall) => {
        const { resourceType, resource } = taskResource(call.resource);
        add("TaskScheduled", call.scheduledAt, {
            taskScheduledEventDetails: {
                resourceType,
                resource,
                region: context.region,
                parameters: json(call.parameters),
                ...(call.timeoutInSeconds !== undefined ? { timeoutInSeconds: call.timeoutInSeconds } : {}),
                ...(call.heartbeatInSeconds !== undefined ? { heartbeatInSeconds: call.heartbeatInSeconds } : {}),
            },
        });
        add("TaskStarted", call.scheduledAt, { taskStartedEventDetails: { resourceType, resource } });
        if (call.submitted !== undefined) {
            add("TaskSubmitted", call.submitted.timestamp, {
                taskSubmittedEventDetails: { resourceType, resource, output: json(call.submitted.output) },
            });
        }
    };
    const succeedCall = (call: TaskCall, succeeded: NonNullable<TaskCall["succeeded"]>) => {
        const { resourceType, resource } = taskResource(call.resource);
        add("TaskSucceeded", succeeded.timestamp, {
            taskSucceededEventDetails: { resourceType, resource, output: json(succeeded.output) },
        });
    };

    for (const event of log) {
        switch (event.type) {
            case "ExecutionStarted":
                add("ExecutionStarted", event.timestamp, { executionStartedEventDetails: { input: json(event.input) } });
                break;
            case "ExecutionSucceeded":
                add("ExecutionSucceeded", event.timestamp, { executionSucceededEventDetails: { output: json(event.output) } });
                break;
            case "ExecutionFailed": {
                // The interpreter fills in a Fail state's missing Error and Cause; AWS leaves them out.
                const fromFail = lastEntered === "Fail";
                const error = fromFail && event.Error === INTERPRETER_FAIL_STATE_ERROR.error ? undefined : event.Error;
                const given = causeText(event.Cause);
                const cause = fromFail && given === INTERPRETER_FAIL_STATE_ERROR.cause ? undefined : given;
                add("ExecutionFailed", event.timestamp, {
                    executionFailedEventDetails: { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) },
                });
                break;
            }
            case "ExecutionTimeout":
                // The interpreter logs no error for the execution's own timeout: the details stay empty.
                add("ExecutionTimedOut", event.timestamp, { executionTimedOutEventDetails: {} });
                break;
            case "ExecutionAborted":
                add("ExecutionAborted", event.timestamp, { executionAbortedEventDetails: {} });
                break;
            case "StateEntered": {
                const { name, type, input } = event.state;
                lastEntered = type;
                add(stateEventType(type, "StateEntered"), event.timestamp, { stateEnteredEventDetails: { name, input: json(input) } });
                if (type === "Task") {
                    const call = take(name);
                    if (call !== undefined) {
                        open.set(visitKey(event), call);
                        startCall(call);
                    }
                }
                break;
            }
            case "StateRetried": {
                // The handler is called again: the retry's task events follow.
                const call = take(event.state.name);
                if (call !== undefined) {
                    open.set(visitKey(event), call);
                    startCall(call);
                }
                break;
            }
            case "StateFailed": {
                // A Fail state's or a Choice state's failure is the execution's (ExecutionFailed follows).
                if (event.state.type !== "Task") break;
                const call = open.get(visitKey(event));
                if (call === undefined) break; // failed before its resource was called
                open.delete(visitKey(event));
                if (call.succeeded !== undefined && call.succeeded.timestamp <= event.timestamp) {
                    // The task answered; what came after it (its ResultSelector, say) failed the state.
                    succeedCall(call, call.succeeded);
                    break;
                }
                const { resourceType, resource } = taskResource(call.resource);
                const cause = causeText(event.Cause);
                const details = { resourceType, resource, error: event.Error, ...(cause !== undefined ? { cause } : {}) };
                if (event.Error === "States.Timeout") add("TaskTimedOut", event.timestamp, { taskTimedOutEventDetails: details });
                else add("TaskFailed", event.timestamp, { taskFailedEventDetails: details });
                break;
            }
            case "StateExited": {
                const { name, type, output } = event.state;
                const call = open.get(visitKey(event));
                if (type === "Task" && call !== undefined) {
                    open.delete(visitKey(event));
                    if (call.succeeded !== undefined) succeedCall(call, call.succeeded);
                }
                add(stateEventType(type, "StateExited"), event.timestamp, { stateExitedEventDetails: { name, output: json(output) } });
                break;
            }
            default:
                break; // StateCaught, Map iterations and Parallel branches: not recorded here
        }
    }
    return events;
}
