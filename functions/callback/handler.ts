/**
 * Lambda entry of the callback function: an SQS event source mapping with
 * `ReportBatchItemFailures` invokes it with up to `batchSize` records. Every record is processed
 * concurrently and awaited; the response names exactly the records SQS must deliver again.
 * The logic lives in `callback.ts` and `batch.ts`; `lambda-handler.ts` creates, at module load
 * (Lambda's init phase), what lives as long as the container.
 */
import { createLambdaHandler } from "./lambda-handler";

export const handler = createLambdaHandler();
