/**
 * Lambda entry of the callback function: an SQS event source mapping with
 * `ReportBatchItemFailures` invokes it with up to `batchSize` records. Every record is processed
 * concurrently and awaited; the response names exactly the records SQS must deliver again.
 * The logic lives in `callback.ts`; this file only creates what lives as long as the container.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createRecordHandler } from "./callback";

// Created once per container. Region, credentials and endpoint come from the environment
// (AWS_REGION, and AWS_ENDPOINT_URL_SFN where set), as the SDK resolves them by default; the
// SDK's standard retry mode retries throttling, 5xx and network errors before a record fails.
const logger = new Logger({ serviceName: "callback-pattern" });
const client = new SFNClient({
    // The SDK sets no time limit on a request: one call that never answers would hold the whole
    // batch until Lambda's timeout, and the batch would then come back without a partial response.
    // With these, a stalled call fails (3 attempts: about 6 s) and only its record is retried.
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
});
const processor = new BatchProcessor(EventType.SQS);
// Only records from the task queue are answered (set by the stack). Without it, every record is
// refused: an empty ARN matches no source, so a misconfigured function answers nothing.
const taskQueueArn = process.env.TASK_QUEUE_ARN ?? "";
if (taskQueueArn === "") logger.error("TASK_QUEUE_ARN is not set: every record is refused");
const handleRecord = createRecordHandler({ client, logger, taskQueueArn });

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    logger.addContext(context);
    // A batch whose every record failed is reported like any other, record by record, rather
    // than as a thrown error: the response is always a partial batch response.
    return processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}
