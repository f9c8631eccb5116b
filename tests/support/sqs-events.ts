/** Builders of SQS events and messages, and a logger that records, shared by the handler tests. */
import type { SQSRecord } from "aws-lambda";
import { MESSAGE_TITLE } from "../../infra/definition";
import type { CallbackLogger } from "../../functions/callback/callback";

/** The task queue the test records come from (what the stack sets as the function's TASK_QUEUE_ARN). */
export const TASK_QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:tasks";

/** The body the state machine sends, for a token and an execution input. */
export function callbackMessage(token: string, input: unknown = { order: 42 }): string {
    return JSON.stringify({
        MessageTitle: MESSAGE_TITLE,
        TaskToken: token,
        ExecutionId: "arn:aws:states:eu-west-1:123456789012:execution:workflow:demo",
        Input: input,
    });
}

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(messageId: string, body: string, receiveCount = 1, eventSourceARN = TASK_QUEUE_ARN): SQSRecord {
    return {
        messageId,
        receiptHandle: `handle-${messageId}`,
        body,
        attributes: {
            ApproximateReceiveCount: String(receiveCount),
            SentTimestamp: "1700000000000",
            SenderId: "AROAEXAMPLE:states",
            ApproximateFirstReceiveTimestamp: "1700000000000",
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN,
        awsRegion: "eu-west-1",
    };
}

/** Keeps every log line, for assertions. */
export class RecordingLogger implements CallbackLogger {
    public readonly lines: { level: "info" | "warn" | "error"; message: string; fields: Record<string, unknown> }[] = [];
    public info(message: string, fields: Record<string, unknown>): void {
        this.lines.push({ level: "info", message, fields });
    }
    public warn(message: string, fields: Record<string, unknown>): void {
        this.lines.push({ level: "warn", message, fields });
    }
    public error(message: string, fields: Record<string, unknown>): void {
        this.lines.push({ level: "error", message, fields });
    }
    public levels(): string[] {
        return this.lines.map((line) => line.level);
    }
}
