/**
 * One invocation's batch: every record through the record handler, concurrently, each bounded by
 * the invocation's deadline, answered with a partial batch response naming exactly the records
 * SQS must deliver again. Everything an invocation needs is created for it alone, so that
 * invocations overlapping in one process (Lambda Managed Instances, the local run) never see one
 * another's records.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { CallbackLogger, RecordInvocation, RecordOutcome } from "./callback";
import { invocationDeadline, untilAborted, type RemainingTime } from "./deadline";
import { describeFailure } from "./error-text";

/** The record handler of `callback.ts`, created once per container. */
export type RecordHandler = (record: SQSRecord, invocation?: RecordInvocation) => Promise<RecordOutcome>;

/** How many message ids a log line about unfinished records lists. */
const LISTED_IDS = 100;

/**
 * What a record's handler rejected with, as an Error whose message can be read: Powertools reads
 * it, and anything else (undefined, a revoked Proxy, a message getter that throws) made it throw,
 * failing the whole batch instead of the record.
 */
function readableError(error: unknown): Error {
    try {
        if (error instanceof Error && typeof error.message === "string") return error;
    } catch {
        // a Proxy's trap or a getter threw: described below
    }
    const { error: name, cause } = describeFailure(error);
    return Object.assign(new Error(cause), { name });
}

/** Processes one invocation's batch; the response is always a partial batch response. */
export async function processBatch(
    event: SQSEvent,
    context: Pick<Context, "getRemainingTimeInMillis"> & RemainingTime,
    handleRecord: RecordHandler,
    logger: CallbackLogger,
): Promise<SQSBatchResponse> {
    const deadline = invocationDeadline(context);
    const invocation: RecordInvocation = { signal: deadline.signal };
    const unfinished: string[] = [];
    // Powertools keeps the records of a batch in its processor: one processor per invocation.
    const processor = new BatchProcessor(EventType.SQS);
    try {
        return await processPartialResponse(
            event,
            async (record: SQSRecord) => {
                try {
                    // Whatever a record still awaits, it is answered by the deadline.
                    return await untilAborted(handleRecord(record, invocation), deadline.signal);
                } catch (error) {
                    if (deadline.signal.aborted) unfinished.push(record.messageId);
                    throw readableError(error);
                }
            },
            processor,
            // A batch whose every record failed is reported like any other, record by record, rather
            // than as a thrown error: the response is always a partial batch response.
            { throwOnFullBatchFailure: false },
        );
    } finally {
        deadline.clear();
        if (unfinished.length > 0) {
            logger.error("The invocation's time ran out: the unfinished records are left on the queue for another delivery", {
                unfinished: unfinished.length,
                records: event.Records.length,
                budgetMs: deadline.budgetMs,
                messageIds: unfinished.slice(0, LISTED_IDS),
            });
        }
    }
}
