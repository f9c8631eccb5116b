/**
 * The callback function as the local run's `handoff` scenario runs it: the deployed handler
 * (`createLambdaHandler`, the same container set-up and record handling) with a work that hands
 * the task off to a partner's API instead of finishing it, as the README's hand-off example does.
 * The partner (`local/partner-api.ts`, on loopback) keeps the token and answers later with the
 * code `npm run callback` uses. Bundled by esbuild like `functions/callback/handler.ts`; never
 * deployed.
 */
import { handOff, type TaskWork } from "../functions/callback/callback";
import { createLambdaHandler } from "../functions/callback/lambda-handler";
import { PARTNER_URL_VARIABLE } from "./partner-api";

/** Gives the task to the partner: its token, execution and input; the partner answers later. */
export const handOffToPartner: TaskWork = async (message, { signal }) => {
    const url = process.env[PARTNER_URL_VARIABLE];
    if (url === undefined || url === "") throw new Error(`${PARTNER_URL_VARIABLE} is not set: there is no partner to hand the task to`);
    const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ taskToken: message.TaskToken, executionId: message.ExecutionId, input: message.Input }),
        signal,
    });
    // A refusal fails the task (SendTaskFailure): the partner will never answer it.
    if (!response.ok) throw new Error(`the partner's API refused the task: HTTP ${response.status}`);
    return handOff("sent to the partner's API");
};

export const handler = createLambdaHandler({ work: handOffToPartner });
