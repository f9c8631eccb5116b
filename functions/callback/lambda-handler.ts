/**
 * Builds the callback function's Lambda handler with what lives as long as the container: the
 * logger, the Step Functions client, the settings read from the environment, and the record
 * handler with its bound on calls in flight. Call it at module level, so that all of this happens
 * in Lambda's init phase, before the first invocation.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { processBatch } from "./batch";
import { createRecordHandler, type TaskWork } from "./callback";
import { functionSettings } from "./settings";

export interface LambdaHandlerOptions {
    /** The work done for each message; the default work when omitted. */
    work?: TaskWork;
}

export type LambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Creates the container's client, logger and settings, and returns the handler that uses them. */
export function createLambdaHandler(options: LambdaHandlerOptions = {}): LambdaHandler {
    const logger = new Logger({ serviceName: "callback-pattern" });
    // Region, credentials and endpoint come from the environment (AWS_REGION, and
    // AWS_ENDPOINT_URL_SFN where set), as the SDK resolves them by default; the SDK's standard
    // retry mode retries throttling, 5xx and network errors before a record fails.
    const client = new SFNClient({
        // The SDK sets no time limit on a request: a stalled call is given up after 2 s and retried
        // while the invocation has time (its deadline aborts whatever is left).
        requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
    });
    const settings = functionSettings(process.env);
    for (const problem of settings.problems) logger.error(problem, {});
    const handleRecord = createRecordHandler({
        client,
        logger,
        taskQueueArn: settings.taskQueueArn,
        ...(settings.heartbeatSeconds !== undefined ? { heartbeatSeconds: settings.heartbeatSeconds } : {}),
        ...(options.work !== undefined ? { work: options.work } : {}),
    });
    return async (event, context) => {
        logger.addContext(context);
        return processBatch(event, context, handleRecord, logger);
    };
}
