/**
 * The callback function's core: parse one queued message, do the task's work, and report the
 * outcome to Step Functions with the message's task token. It takes its client and logger as
 * arguments, so tests drive it with a stubbed or loopback client and no AWS; `handler.ts` only
 * wires it to Lambda.
 *
 * Every record ends in one of three ways, and none is lost:
 * - completed: the token went back with SendTaskSuccess or SendTaskFailure, the work handed the
 *   task off to an external process that returns the token later, or the task was already gone
 *   (retrying could never help); the handler resolves and SQS deletes the record;
 * - back on the queue: the message is malformed, Step Functions could not be reached or refused
 *   the call after the SDK's retries, or the invocation's time ran out; the handler rejects, the
 *   record is a batch item failure, SQS delivers it again and, after `maxReceiveCount` receives,
 *   moves it to the dead-letter queue.
 */
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import { untilAborted } from "./deadline";
import {
    bound,
    CALL_ERROR_MESSAGES,
    classifyCallError,
    describeFailure,
    isOutputRefused,
    isTaskGone,
    LIMITS,
    LOGGED_CAUSE_CHARACTERS,
    redactAndBound,
    tokenFingerprint,
    type TaskFailure,
} from "./error-text";
import { heartbeatIntervalMs, startHeartbeats } from "./heartbeats";
import { MAX_CALLS_IN_FLIGHT } from "./client-settings";

export { bound, describeFailure, LIMITS, redactToken, tokenFingerprint, type TaskFailure } from "./error-text";

/**
 * The message the state machine sends (see `infra/definition.ts`): the task token, AWS's title,
 * the execution's ARN and the execution input (the payload).
 */
export interface CallbackMessage {
    TaskToken: string;
    MessageTitle?: string;
    ExecutionId?: string;
    Input?: unknown;
}

/** The message can never be processed; SQS should deliver it again and then dead-letter it. */
export class MalformedMessageError extends Error {
    constructor(reason: string) {
        super(`Malformed callback message: ${reason}`);
        this.name = "MalformedMessageError";
    }
}

/**
 * The record names another source than the task queue: an event source mapping on another queue,
 * or a direct invocation that names another source. Only the state machine may send to the task
 * queue (its queue policy), and the function answers a task only for a record from there; anything
 * else could carry a token read from an execution's history and complete that task with a forged
 * payload. A direct invocation writes `eventSourceARN` itself and can forge it: this check does not
 * stop that (see docs/permissions.md).
 */
export class ForeignRecordError extends Error {
    constructor(source: string) {
        super(`Record not from the task queue (its source is ${JSON.stringify(source)}); no callback sent`);
        this.name = "ForeignRecordError";
    }
}

/** Parses and checks a message body; throws {@link MalformedMessageError} naming what is wrong. */
export function parseCallbackMessage(body: string): CallbackMessage {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body);
    } catch {
        throw new MalformedMessageError("the body is not JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new MalformedMessageError("the body is not a JSON object");
    }
    const token: unknown = (parsed as Record<string, unknown>).TaskToken;
    if (token === undefined) throw new MalformedMessageError("it has no TaskToken");
    if (typeof token !== "string" || token.length === 0) {
        throw new MalformedMessageError("TaskToken is not a non-empty string");
    }
    if (token.length > LIMITS.taskToken) {
        throw new MalformedMessageError(`TaskToken is longer than ${LIMITS.taskToken} characters`);
    }
    return parsed as CallbackMessage;
}

/** What the work receives besides the message. */
export interface TaskWorkContext {
    /**
     * Aborts when the work must stop: the invocation's time is running out (its reason is an
     * `InvocationDeadlineError`; the record goes back to the queue) or a heartbeat found the task
     * gone (a {@link TaskGoneError}; nobody waits for the result any more). Pass it to what the work
     * awaits (`fetch`, the AWS SDK's `abortSignal`); a work that ignores it is no longer awaited.
     */
    signal: AbortSignal;
}

/**
 * The work done for a message: the "external process" of the callback pattern, and the place to
 * put your own. It receives the parsed message (the execution input is `message.Input`).
 * - What it resolves to becomes the task's output (`SendTaskSuccess`), so it must be JSON and at
 *   most 256 KiB once serialized.
 * - What it throws becomes the task's failure (`SendTaskFailure`, error = the error's `name`,
 *   cause = its `message`), and the execution goes to "Notify Failure" at once.
 * - {@link handOff}`()` as the result hands the task to an external process that was given the
 *   token (a person, a partner system) and returns it later: no callback is sent and the record
 *   is acknowledged.
 * A message may be delivered more than once (SQS is at-least-once), so the work must be safe to
 * repeat; a repeat after the task completed finds the token closed and is acknowledged.
 */
export type TaskWork = (message: CallbackMessage, context: TaskWorkContext) => Promise<unknown>;

// A registered symbol, so that a hand-off made by another copy of this module is still one.
const HAND_OFF = Symbol.for("callback-pattern.hand-off");

/** The work's result when an external process returns the token later. */
export interface HandOff {
    readonly [HAND_OFF]: true;
    /** Where the task went, for the log (never the token). */
    readonly note?: string;
}

/**
 * The result a work returns once it has given the task token to an external process (stored it
 * for a person's approval, sent it to a partner's API). The function then acknowledges the record
 * without calling back; the external process answers with SendTaskSuccess or SendTaskFailure
 * (and SendTaskHeartbeat while it works, when the task has `HeartbeatSeconds`), before the task's
 * `TimeoutSeconds` ends. `note` says where the task went, in the log.
 */
export function handOff(note?: string): HandOff {
    return note === undefined ? { [HAND_OFF]: true } : { [HAND_OFF]: true, note };
}

/**
 * Whether the work's result is a {@link handOff}. Never throws: a result whose reading throws (a
 * Proxy) is no hand-off, and serializing it as an output then fails the task, saying why.
 */
export function isHandOff(value: unknown): value is HandOff {
    try {
        return typeof value === "object" && value !== null && (value as Partial<HandOff>)[HAND_OFF] === true;
    } catch {
        return false;
    }
}

/** The log field of a hand-off whose note cannot be turned into text. */
export const UNPRINTABLE_NOTE = "(a note that cannot be shown as text)";

/**
 * A hand-off's note as a log field: bounded, without the token, and never throwing (a JavaScript
 * work may pass anything; `String()` of an object without a prototype throws, and so may a getter).
 * The hand-off has happened by then: a throw would put the record back on the queue, and each
 * redelivery would hand the task off once more.
 */
function handOffNote(result: HandOff, token: string): string | undefined {
    try {
        return result.note === undefined ? undefined : redactAndBound(String(result.note), token, LOGGED_CAUSE_CHARACTERS);
    } catch {
        return UNPRINTABLE_NOTE;
    }
}

/** What the default work reports as its result. */
export const DEFAULT_RESULT = "Callback received: the task is complete.";

/** The error of a task whose execution input asked the default work to fail. */
export class TaskRejected extends Error {
    constructor(reason: string) {
        super(reason);
        this.name = "TaskRejected";
    }
}

/**
 * The default work: hand the execution's input back as the payload, with a completion note. So
 * that the failure path can be watched without changing code, it fails the task when the input
 * asks for it with a string `fail` field: `{"fail": "out of stock"}` fails with `TaskRejected`.
 */
export const defaultTaskWork: TaskWork = async (message) => {
    const input = message.Input;
    if (typeof input === "object" && input !== null && typeof (input as Record<string, unknown>).fail === "string") {
        throw new TaskRejected((input as { fail: string }).fail);
    }
    return { payload: input ?? null, result: DEFAULT_RESULT };
};

/** A heartbeat found the task gone while the work ran: the work is stopped, nothing is sent. */
export class TaskGoneError extends Error {
    constructor(serviceError: string) {
        super(`The task no longer takes a callback: a heartbeat was answered with ${serviceError}`);
        this.name = "TaskGoneError";
    }
}

/** The work's result could not become a task output. */
export class TaskOutputError extends Error {
    constructor(reason: string) {
        super(reason);
        this.name = "TaskOutputError";
    }
}

/** Serializes the work's result as the task output; throws {@link TaskOutputError} when it cannot be one. */
export function serializeOutput(result: unknown): string {
    let output: string | undefined;
    try {
        output = JSON.stringify(result);
    } catch (error) {
        throw new TaskOutputError(`the result of the work is not JSON-serializable: ${describeFailure(error).cause}`);
    }
    // JSON.stringify(undefined) is undefined: a work with nothing to say outputs null.
    output ??= "null";
    const bytes = Buffer.byteLength(output, "utf8");
    if (bytes > LIMITS.outputBytes) {
        throw new TaskOutputError(`the result of the work is ${bytes} bytes of JSON; a task output holds at most ${LIMITS.outputBytes}`);
    }
    return output;
}

/** The logging the core needs; Powertools' Logger provides it (structured fields as the 2nd argument). */
export interface CallbackLogger {
    info(message: string, fields: Record<string, unknown>): void;
    warn(message: string, fields: Record<string, unknown>): void;
    error(message: string, fields: Record<string, unknown>): void;
}

export interface CallbackDependencies {
    /** The Step Functions client (one per container). */
    client: Pick<SFNClient, "send">;
    /** Where to log. */
    logger: CallbackLogger;
    /** The work done for each message; {@link defaultTaskWork} when omitted. */
    work?: TaskWork;
    /**
     * ARN of the task queue: records from any other source are refused, never answered. The Lambda
     * entry always sets it (from `TASK_QUEUE_ARN`; refusing everything when that is missing);
     * unit tests of the core may leave it out.
     */
    taskQueueArn?: string;
    /** The wait task's `HeartbeatSeconds`: heartbeats are sent while the work runs. None when omitted. */
    heartbeatSeconds?: number;
    /**
     * Calls to Step Functions in flight at once, for every record and invocation of this handler
     * ({@link MAX_CALLS_IN_FLIGHT} when omitted: see `sfn-client.ts` for why).
     */
    maxCallsInFlight?: number;
}

/** How a record ended, for logs and tests. */
export type RecordOutcome = "succeeded" | "failed" | "gone" | "handed-off";

/** What one invocation gives each of its records. */
export interface RecordInvocation {
    /** Aborts when the invocation's time runs out (see `deadline.ts`). */
    signal: AbortSignal;
}

/** The error's name, for a log field. */
const errorName = (error: unknown): string => describeFailure(error).error;

/**
 * Returns the handler for one SQS record. It resolves when the record is done (SQS may delete it)
 * and rejects when SQS must deliver it again (a batch item failure). Create it once per container:
 * it holds no state of an invocation, only the bound on calls in flight that all of them share.
 */
export function createRecordHandler(
    deps: CallbackDependencies,
): (record: SQSRecord, invocation?: RecordInvocation) => Promise<RecordOutcome> {
    const work = deps.work ?? defaultTaskWork;
    const { client, logger } = deps;
    const limit = pLimit(deps.maxCallsInFlight ?? MAX_CALLS_IN_FLIGHT);
    const heartbeatMs = deps.heartbeatSeconds !== undefined ? heartbeatIntervalMs(deps.heartbeatSeconds) : undefined;

    /** One call to Step Functions: waits for a free slot, then sends; both end when `signal` aborts. */
    const call = (send: (options: { abortSignal: AbortSignal }) => Promise<unknown>, signal: AbortSignal): Promise<unknown> =>
        untilAborted(
            limit(() => {
                signal.throwIfAborted(); // its turn came after the deadline: no call at all
                return send({ abortSignal: signal });
            }),
            signal,
        );

    // Without an invocation, a record has no deadline: a signal of its own that never aborts. Not one
    // signal shared by all: Node's AbortSignal.any keeps, on a signal it combines, a record of every
    // signal combined from it, for as long as it lives, and its clean-up after a garbage collection
    // goes through them: 10000 records through a shared signal took 3 to 5 times as long.
    return async (record, invocation = { signal: new AbortController().signal }) => {
        const deadline = invocation.signal;
        const context: Record<string, unknown> = {
            messageId: record.messageId,
            receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0),
        };
        if (deps.taskQueueArn !== undefined && record.eventSourceARN !== deps.taskQueueArn) {
            const refused = new ForeignRecordError(String(record.eventSourceARN ?? ""));
            logger.error("Record refused: it did not come from the task queue, so its token is not answered", {
                ...context,
                reason: refused.message,
            });
            throw refused;
        }
        let message: CallbackMessage;
        try {
            message = parseCallbackMessage(record.body);
        } catch (error) {
            logger.error("Malformed message left on the queue; it goes to the dead-letter queue after maxReceiveCount receives", {
                ...context,
                reason: (error as Error).message,
            });
            throw error;
        }
        const token = message.TaskToken;
        context.taskToken = tokenFingerprint(token);
        if (message.ExecutionId !== undefined) context.executionId = bound(String(message.ExecutionId), 2048);

        /** A failed call's log fields: its error name, and its text cut short, without the token. */
        const callErrorFields = (error: unknown) => {
            const detail = describeFailure(error, token);
            return { ...context, error: detail.error, detail: bound(detail.cause, LOGGED_CAUSE_CHARACTERS) };
        };
        /** Logs why the call failed and leaves the record on the queue. */
        const leaveOnQueue = (error: unknown): never => {
            // Past the deadline every call aborts: the batch reports those records once, together.
            if (deadline.aborted) throw deadline.reason as Error;
            logger.error(CALL_ERROR_MESSAGES[classifyCallError(error)], callErrorFields(error));
            throw error;
        };
        const taskGone = (error: Error, when: string): RecordOutcome => {
            logger.warn(`Task no longer accepts a callback (${error.name}) ${when}; message acknowledged`, {
                ...context,
                error: error.name,
            });
            return "gone";
        };
        const fail = async (failure: TaskFailure): Promise<RecordOutcome> => {
            logger.warn("Task work failed; reporting the failure to Step Functions", {
                ...context,
                ...failure,
                cause: bound(failure.cause, LOGGED_CAUSE_CHARACTERS),
            });
            try {
                await call((options) => client.send(new SendTaskFailureCommand({ taskToken: token, ...failure }), options), deadline);
                return "failed";
            } catch (error) {
                if (isTaskGone(error)) return taskGone(error, "when its failure was reported");
                return leaveOnQueue(error);
            }
        };

        // The work stops when the invocation's time runs out, or when a heartbeat finds the task gone.
        const gone = new AbortController();
        const workSignal = AbortSignal.any([deadline, gone.signal]);
        const stopHeartbeats =
            heartbeatMs !== undefined
                ? startHeartbeats({
                      intervalMs: heartbeatMs,
                      send: (stopped) =>
                          call(
                              (options) => client.send(new SendTaskHeartbeatCommand({ taskToken: token }), options),
                              AbortSignal.any([deadline, stopped]),
                          ),
                      isTaskGone,
                      onTaskGone: (error) => gone.abort(new TaskGoneError(errorName(error))),
                      onError: (error) => {
                          if (!deadline.aborted)
                              logger.warn("A heartbeat failed; the next one follows, and the work goes on", callErrorFields(error));
                      },
                  })
                : undefined;

        let result: unknown;
        try {
            if (deadline.aborted) throw deadline.reason as Error; // no time left: the work does not start
            result = await untilAborted(
                Promise.resolve().then(() => work(message, { signal: workSignal })),
                workSignal,
            );
        } catch (error) {
            if (gone.signal.aborted) {
                logger.warn("A heartbeat found the task gone while the work ran; the work was stopped and the message acknowledged", {
                    ...context,
                    reason: (gone.signal.reason as Error).message,
                });
                return "gone";
            }
            if (deadline.aborted) throw deadline.reason as Error;
            return fail(describeFailure(error, token));
        } finally {
            stopHeartbeats?.();
        }

        if (isHandOff(result)) {
            const note = handOffNote(result, token);
            logger.info("Task handed off: an external process returns the token; message acknowledged", {
                ...context,
                ...(note !== undefined ? { handOff: note } : {}),
            });
            return "handed-off";
        }
        let output: string;
        try {
            output = serializeOutput(result);
        } catch (error) {
            return fail(describeFailure(error, token));
        }
        try {
            await call((options) => client.send(new SendTaskSuccessCommand({ taskToken: token, output }), options), deadline);
            logger.info("Task token returned", context);
            return "succeeded";
        } catch (error) {
            if (isTaskGone(error)) return taskGone(error, "when its output was sent");
            // Step Functions refused the output itself: no retry can change that, so fail the task.
            if (isOutputRefused(error) && !deadline.aborted) {
                logger.warn("Step Functions refused the output; failing the task instead", { ...context, error: error.name });
                return fail(describeFailure(error, token));
            }
            return leaveOnQueue(error);
        }
    };
}
