/**
 * Lambda entry of the callback function: an SQS event source mapping with
 * `ReportBatchItemFailures` invokes it with up to `batchSize` records. Every record is processed
 * concurrently and awaited; the response names exactly the records SQS must deliver again.
 * The logic lives in `callback.ts` and `batch.ts`; this file only creates what lives as long as
 * the container, during Lambda's init phase.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { processBatch } from "./batch";
import { createRecordHandler } from "./callback";
import { functionSettings } from "./settings";

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
const settings = functionSettings(process.env);
for (const problem of settings.problems) logger.error(problem, {});
const handleRecord = createRecordHandler({
    client,
    logger,
    taskQueueArn: settings.taskQueueArn,
    ...(settings.heartbeatSeconds !== undefined ? { heartbeatSeconds: settings.heartbeatSeconds } : {}),
});

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    logger.addContext(context);
    return processBatch(event, context, handleRecord, logger);
}
