/**
 * The callback function's core: parse one queued message, do the task's work, and report the
 * outcome to Step Functions with the message's task token. It takes its client and logger as
 * arguments, so tests drive it with a stubbed or loopback client and no AWS; `handler.ts` only
 * wires it to Lambda.
 *
 * Every record ends in one of three ways, and none is lost:
 * - completed: the token went back with SendTaskSuccess or SendTaskFailure, or the task was
 *   already gone (retrying could never help); the handler resolves and SQS deletes the record;
 * - back on the queue: the message is malformed, or Step Functions could not be reached after the
 *   SDK's retries; the handler rejects, the record is a batch item failure, SQS delivers it again
 *   and, after `maxReceiveCount` receives, moves it to the dead-letter queue.
 */
import {
    InvalidOutput,
    InvalidToken,
    SendTaskFailureCommand,
    SendTaskSuccessCommand,
    TaskDoesNotExist,
    TaskTimedOut,
    type SFNClient,
} from "@aws-sdk/client-sfn";
import type { SQSRecord } from "aws-lambda";
import { createHash } from "node:crypto";

/** AWS's limits on `SendTaskSuccess` and `SendTaskFailure` (Step Functions API reference). */
export const LIMITS = {
    /** `taskToken`: 1 to 2048 characters. */
    taskToken: 2048,
    /** `output`: at most 262144 bytes of UTF-8 JSON. */
    outputBytes: 262_144,
    /** `error`: at most 256 characters. */
    error: 256,
    /** `cause`: at most 32768 characters. */
    cause: 32_768,
} as const;

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
 * stop that (see README, Permissions).
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

/**
 * The work done for a message: the "external process" of the callback pattern, and the place to
 * put your own. It receives the parsed message (the execution input is `message.Input`).
 * - What it resolves to becomes the task's output (`SendTaskSuccess`), so it must be JSON and at
 *   most 256 KiB once serialized.
 * - What it throws becomes the task's failure (`SendTaskFailure`, error = the error's `name`,
 *   cause = its `message`), and the execution goes to "Notify Failure" at once.
 * A message may be delivered more than once (SQS is at-least-once), so the work must be safe to
 * repeat; a repeat after the task completed finds the token closed and is acknowledged.
 */
export type TaskWork = (message: CallbackMessage) => Promise<unknown>;

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

/**
 * A log-safe fingerprint of a task token: the first 16 hex digits of its SHA-256. Enough to
 * correlate log lines (an operator holding a token computes the same value), useless for calling
 * back. A prefix of the token would not do: real tokens start with the same fixed header.
 */
export function tokenFingerprint(token: string): string {
    return createHash("sha256").update(token).digest("hex").slice(0, 16);
}

/** Cuts `text` to at most `limit` characters, marking the cut, never inside a surrogate pair. */
export function bound(text: string, limit: number): string {
    if (text.length <= limit) return text;
    let end = limit - 1;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
    return `${text.slice(0, end)}…`;
}

/** The failure reported to Step Functions: an error name and a cause, within AWS's limits. */
export interface TaskFailure {
    error: string;
    cause: string;
}

/** Turns whatever the work threw into a bounded error name and cause. */
export function describeFailure(thrown: unknown): TaskFailure {
    if (thrown instanceof Error) {
        return { error: bound(thrown.name || "Error", LIMITS.error), cause: bound(thrown.message, LIMITS.cause) };
    }
    return { error: "TaskWorkFailed", cause: bound(String(thrown), LIMITS.cause) };
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
        throw new TaskOutputError(
            `the result of the work is not JSON-serializable: ${error instanceof Error ? error.message : String(error)}`,
        );
    }
    // JSON.stringify(undefined) is undefined: a work with nothing to say outputs null.
    output ??= "null";
    const bytes = Buffer.byteLength(output, "utf8");
    if (bytes > LIMITS.outputBytes) {
        throw new TaskOutputError(`the result of the work is ${bytes} bytes of JSON; a task output holds at most ${LIMITS.outputBytes}`);
    }
    return output;
}

/** Whether `error` is the service error `name` (by class, or by name for errors of another SDK copy or client). */
function isServiceError(error: unknown, name: string, type?: abstract new (...args: never[]) => Error): error is Error {
    return (type !== undefined && error instanceof type) || (error instanceof Error && error.name === name);
}

/** Errors that mean the task no longer takes a callback: it timed out, closed, or never existed. */
function isTaskGone(error: unknown): error is Error {
    return (
        isServiceError(error, "TaskTimedOut", TaskTimedOut) ||
        isServiceError(error, "TaskDoesNotExist", TaskDoesNotExist) ||
        isServiceError(error, "InvalidToken", InvalidToken)
    );
}

/** Errors that mean Step Functions refuses this output itself: sending it again can never succeed. */
function isOutputRefused(error: unknown): error is Error {
    return isServiceError(error, "InvalidOutput", InvalidOutput) || isServiceError(error, "ValidationException");
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
}

/** How a record ended, for logs and tests. */
export type RecordOutcome = "succeeded" | "failed" | "gone";

/**
 * Returns the handler for one SQS record. It resolves when the record is done (SQS may delete it)
 * and rejects when SQS must deliver it again (a batch item failure).
 */
export function createRecordHandler(deps: CallbackDependencies): (record: SQSRecord) => Promise<RecordOutcome> {
    const work = deps.work ?? defaultTaskWork;
    const { client, logger } = deps;

    return async (record) => {
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
        if (message.ExecutionId !== undefined) context.executionId = message.ExecutionId;

        // A task already gone ends the record; any other error is the caller's to handle.
        const report = async (send: () => Promise<unknown>, outcome: RecordOutcome): Promise<RecordOutcome> => {
            try {
                await send();
                return outcome;
            } catch (error) {
                if (!isTaskGone(error)) throw error;
                logger.warn("Task no longer accepts a callback; message acknowledged", { ...context, error: error.name });
                return "gone";
            }
        };
        const leaveOnQueue = (error: unknown): never => {
            logger.error("Could not reach Step Functions; message left on the queue for another delivery", {
                ...context,
                error: error instanceof Error ? error.name : String(error),
                detail: error instanceof Error ? error.message : undefined,
            });
            throw error;
        };
        const fail = async (failure: TaskFailure): Promise<RecordOutcome> => {
            logger.warn("Task work failed; reporting the failure to Step Functions", {
                ...context,
                ...failure,
                cause: bound(failure.cause, 1000),
            });
            try {
                return await report(() => client.send(new SendTaskFailureCommand({ taskToken: token, ...failure })), "failed");
            } catch (error) {
                return leaveOnQueue(error);
            }
        };

        let output: string;
        try {
            output = serializeOutput(await work(message));
        } catch (error) {
            return fail(describeFailure(error));
        }
        try {
            const outcome = await report(() => client.send(new SendTaskSuccessCommand({ taskToken: token, output })), "succeeded");
            if (outcome === "succeeded") logger.info("Task token returned", context);
            return outcome;
        } catch (error) {
            // Step Functions refused the output itself: no retry can change that, so fail the task.
            if (isOutputRefused(error)) return fail({ error: bound(error.name, LIMITS.error), cause: bound(error.message, LIMITS.cause) });
            return leaveOnQueue(error);
        }
    };
}
