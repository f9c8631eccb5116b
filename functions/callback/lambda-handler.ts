/**
 * Builds the callback function's Lambda handler with what lives as long as the container: the
 * logger, the Step Functions client, the settings read from the environment, and the record
 * handler with its bound on calls in flight. Call it at module level, so that all of this happens
 * in Lambda's init phase, before the first invocation.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { processBatch } from "./batch";
import { createRecordHandler, type TaskWork } from "./callback";
import { functionSettings } from "./settings";
import { createStepFunctionsClient, warmUpStepFunctionsClient } from "./sfn-client";

export interface LambdaHandlerOptions {
    /** The work done for each message; the default work when omitted. */
    work?: TaskWork;
}

export type LambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Creates the container's client, logger and settings, and returns the handler that uses them. */
export function createLambdaHandler(options: LambdaHandlerOptions = {}): LambdaHandler {
    const logger = new Logger({ serviceName: "callback-pattern" });
    // Region, credentials and endpoint come from the environment (AWS_REGION, and
    // AWS_ENDPOINT_URL_SFN where set); timeouts, retries and sockets are in sfn-client.ts.
    const client = createStepFunctionsClient();
    // Started in the init phase (no request leaves the process) and awaited by the first
    // invocation, so that the first batch does not pay for the client's one-time set-up.
    const warmedUp = warmUpStepFunctionsClient(client);
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
        await warmedUp;
        logger.addContext(context);
        return processBatch(event, context, handleRecord, logger);
    };
}
