/**
 * Lambda entry of the callback function: an SQS event source mapping with
 * `ReportBatchItemFailures` invokes it with up to `batchSize` records. Every record is processed
 * concurrently and awaited; the response names exactly the records SQS must deliver again.
 * The logic lives in `callback.ts`; this file only creates what lives as long as the container.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createRecordHandler } from "./callback";
import { createStepFunctionsClient, warmUpStepFunctionsClient } from "./sfn-client";

// Created once per container. Region, credentials and endpoint come from the environment
// (AWS_REGION, and AWS_ENDPOINT_URL_SFN where set); timeouts and retries are in sfn-client.ts.
const logger = new Logger({ serviceName: "callback-pattern" });
const client = createStepFunctionsClient();
// Started in the init phase; no request leaves the process. Awaited by the first invocation.
const warmedUp = warmUpStepFunctionsClient(client);
const processor = new BatchProcessor(EventType.SQS);
// Only records from the task queue are answered (set by the stack). Without it, every record is
// refused: an empty ARN matches no source, so a misconfigured function answers nothing.
const taskQueueArn = process.env.TASK_QUEUE_ARN ?? "";
if (taskQueueArn === "") logger.error("TASK_QUEUE_ARN is not set: every record is refused");
const handleRecord = createRecordHandler({ client, logger, taskQueueArn });

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    await warmedUp;
    logger.addContext(context);
    // A batch whose every record failed is reported like any other, record by record, rather
    // than as a thrown error: the response is always a partial batch response.
    return processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}
