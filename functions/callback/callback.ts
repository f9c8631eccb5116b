/**
 * The callback function's core: parse one queued message, do the task's work, and return the task
 * token to Step Functions. It takes its client and logger as arguments, so tests drive it with a
 * stubbed client and no AWS; `handler.ts` only wires it to Lambda.
 */
import {
    InvalidToken,
    SendTaskSuccessCommand,
    TaskDoesNotExist,
    TaskTimedOut,
    type SFNClient,
} from "@aws-sdk/client-sfn";
import type { SQSRecord } from "aws-lambda";

/** Longest task token Step Functions issues or accepts (`SendTaskSuccess`, `taskToken`). */
export const MAX_TASK_TOKEN_LENGTH = 2048;

/**
 * The message the state machine sends (see `infra/definition.ts`): the task token, AWS's title,
 * the execution's ARN and its input.
 */
export interface CallbackMessage {
    TaskToken: string;
    MessageTitle?: string;
    ExecutionId?: string;
    Input?: unknown;
}

/** The message cannot ever be processed; SQS should retry it and then dead-letter it. */
export class MalformedMessageError extends Error {
    constructor(reason: string) {
        super(`Malformed callback message: ${reason}`);
        this.name = "MalformedMessageError";
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
    if (token.length > MAX_TASK_TOKEN_LENGTH) {
        throw new MalformedMessageError(`TaskToken is longer than ${MAX_TASK_TOKEN_LENGTH} characters`);
    }
    return parsed as CallbackMessage;
}

/**
 * The work done for a message: the "external process" of the pattern, and the place to put your
 * own. Its result becomes the task's output, so it must be JSON-serializable.
 */
export type TaskWork = (message: CallbackMessage) => Promise<unknown>;

/** The default work: report the callback and hand the execution's input back as the output. */
export const defaultTaskWork: TaskWork = async (message) => ({
    result: "Callback received.",
    input: message.Input ?? null,
});

/** A short, log-safe prefix of a task token: enough to correlate, useless to an attacker. */
export function tokenPrefix(token: string): string {
    return `${token.slice(0, 12)}…`;
}

/** The logging the core needs; Powertools' Logger provides it (structured fields as the 2nd argument). */
export interface CallbackLogger {
    info(message: string, fields: Record<string, unknown>): void;
    warn(message: string, fields: Record<string, unknown>): void;
}

export interface CallbackDependencies {
    client: Pick<SFNClient, "send">;
    logger: CallbackLogger;
    work?: TaskWork;
}

/**
 * Returns the handler for one SQS record. It resolves when the record is done (acknowledge it) and
 * rejects when SQS must deliver it again (a batch item failure).
 */
export function createRecordHandler(deps: CallbackDependencies): (record: SQSRecord) => Promise<void> {
    const work = deps.work ?? defaultTaskWork;
    return async (record) => {
        const message = parseCallbackMessage(record.body);
        const token = message.TaskToken;
        const output = JSON.stringify(await work(message));
        try {
            await deps.client.send(new SendTaskSuccessCommand({ taskToken: token, output }));
        } catch (error) {
            if (error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken) {
                // The task is gone (timed out, already closed, or a second delivery of a message
                // already answered): retrying can never succeed, so the record is done.
                deps.logger.warn("Task no longer accepts a callback; message acknowledged", {
                    messageId: record.messageId,
                    taskToken: tokenPrefix(token),
                    error: error.name,
                });
                return;
            }
            throw error;
        }
        deps.logger.info("Task token returned", { messageId: record.messageId, taskToken: tokenPrefix(token) });
    };
}
