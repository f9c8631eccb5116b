/**
 * The callback function as the local run's `handoff` scenario runs it: the deployed handler
 * (`createLambdaHandler`, the same container set-up and record handling) with a work that hands
 * the task off to a partner's API instead of finishing it, as the hand-off example of docs/callback-function.md does.
 * The partner (`local/partner-api.ts`, on loopback) keeps the token and answers later with the
 * code `npm run callback` uses. Bundled by esbuild like `functions/callback/handler.ts`; never
 * deployed.
 */
import { handOff, type TaskWork } from "../functions/callback/callback";
import { createLambdaHandler } from "../functions/callback/lambda-handler";
import { PARTNER_URL_VARIABLE } from "./partner-api";

/** Why fetch failed: it says only "fetch failed", and keeps the reason (ECONNREFUSED, …) in its cause. */
function fetchFailure(error: unknown): string {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    if (typeof cause?.code === "string") return cause.code;
    if (typeof cause?.message === "string") return cause.message;
    return error instanceof Error ? error.message : String(error);
}

/** Gives the task to the partner: its token, execution and input; the partner answers later. */
export const handOffToPartner: TaskWork = async (message, { signal }) => {
    const url = process.env[PARTNER_URL_VARIABLE];
    if (url === undefined || url === "") throw new Error(`${PARTNER_URL_VARIABLE} is not set: there is no partner to hand the task to`);
    let response: Response;
    try {
        response = await fetch(url, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ taskToken: message.TaskToken, executionId: message.ExecutionId, input: message.Input }),
            signal,
        });
    } catch (error) {
        if (signal.aborted) throw error; // the deadline, or a gone task: the record handler says which
        throw new Error(`could not reach the partner's API at ${url} (${fetchFailure(error)}): the task was not handed off`, {
            cause: error,
        });
    }
    // A refusal fails the task (SendTaskFailure): the partner will never answer it.
    if (!response.ok) throw new Error(`the partner's API refused the task: HTTP ${response.status}`);
    return handOff("sent to the partner's API");
};

export const handler = createLambdaHandler({ work: handOffToPartner });
