/**
 * `npm run callback`: returns a task token by hand (an operator, a test, a shell script), as the
 * external process of a hand-off does: `SendTaskSuccess` with an output, `SendTaskFailure` with an
 * error and cause, or `SendTaskHeartbeat`. The token comes from a file or standard input (or, with
 * a warning, the command line), and is never printed: only its fingerprint.
 *
 * Exit codes ({@link CALLBACK_EXIT}): 0 sent; 1 refused or unreachable; 2 a bad flag or input (a
 * token or output Step Functions refuses included), or no region; 3 the task is gone (timed out,
 * already answered, or its execution ended). Never a stack trace; bounded in time throughout.
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { CliError, runAsMain, type CommandSpec } from "./cli";
import {
    CALLBACK_EXIT,
    CALLBACK_USAGE,
    exitCodeOfRefusal,
    parseCallbackArgs,
    readCallbackRequest,
    type CallbackOptions,
} from "./callback-args";
import { printable } from "../view/execution-view";
import {
    ANSWER_CLIENT_TIMEOUTS,
    sendTaskAnswer,
    TaskAnswerRefusedError,
    type TaskAnswerRequest,
    type TaskAnswerResult,
} from "./task-token-answer";
import { redactToken } from "../functions/callback/error-text";

/** The outcome's one line on stdout. */
const print = (line: string) => process.stdout.write(`${line}\n`);

/** The token, once known, so that no message of an unexpected error can show it. */
let knownToken = "";

function sentLine(request: TaskAnswerRequest, result: TaskAnswerResult & { ok: true }): string {
    const { answer } = request;
    const what =
        answer.action === "success"
            ? `output of ${Buffer.byteLength(answer.output, "utf8")} bytes`
            : answer.action === "failure"
              ? `error ${printable(JSON.stringify(answer.error ?? ""))}${answer.cause !== undefined ? `, cause of ${answer.cause.length} characters` : ""}`
              : "the task keeps waiting";
    const retried = result.attempts > 1 ? `; ${result.attempts} attempts` : "";
    return `sent ${result.action} for task token ${result.tokenFingerprint} (${what}${retried})`;
}

async function run(options: CallbackOptions): Promise<void> {
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    if (options.token.from === "argument") {
        knownToken = options.token.value;
        console.error(
            "warning: --token puts the task token in your shell history and in the process list; prefer --token-file PATH, or --token-file - with the token on standard input",
        );
    }
    // Checked before any input is read: without a region there is nowhere to send.
    let client: SFNClient;
    let region: string;
    try {
        client = new SFNClient({ requestHandler: ANSWER_CLIENT_TIMEOUTS });
        region = await client.config.region();
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new CliError(
            /^Region is missing/.test(message)
                ? "no AWS region is set: set AWS_REGION to the state machine's region (the region in its ARN, the stack output stateMachineArn)"
                : `the AWS region is not valid (${printable(message)}): set AWS_REGION to the state machine's region (the region in its ARN)`,
        );
    }
    try {
        const request = await readCallbackRequest(options, deadline);
        knownToken = request.taskToken;
        const result = await sendTaskAnswer(client, request, { timeoutMs: Math.max(1, deadline - Date.now()) });
        if (options.json) {
            const { ok, ...fields } = result;
            print(
                JSON.stringify({
                    sent: ok,
                    ...fields,
                    region,
                    exitCode: result.ok ? CALLBACK_EXIT.sent : exitCodeOfRefusal(result.reason),
                }),
            );
        }
        if (!result.ok) {
            // Where it was sent matters when the token was not known there, or nothing answered.
            const endpoint = process.env.AWS_ENDPOINT_URL_SFN ?? process.env.AWS_ENDPOINT_URL;
            const where =
                result.reason === "invalid-token" || result.reason === "unreachable"
                    ? ` (region ${printable(region)}${endpoint ? `, endpoint ${printable(endpoint)}` : ""})`
                    : "";
            throw new TaskAnswerRefusedError({ ...result, message: `${result.message}${where}` });
        }
        if (!options.json) print(sentLine(request, result));
    } finally {
        client.destroy();
    }
}

/** The command as `runCommand` runs it: exported so that the tests can run it in their own process. */
export const spec = {
    command: "npm run callback",
    usage: CALLBACK_USAGE,
    parse: parseCallbackArgs,
    run,
    isUsageError: () => false,
    describe: (error) => {
        if (error instanceof TaskAnswerRefusedError || error instanceof CliError) return printable(redactToken(error.message, knownToken));
        const { name, message } = error as Error;
        return printable(redactToken(`${name}: ${message}`, knownToken));
    },
    exitCode: (error) => (error instanceof TaskAnswerRefusedError ? exitCodeOfRefusal(error.result.reason) : undefined),
} satisfies CommandSpec<ReturnType<typeof parseCallbackArgs>>;

// Runs when started as a command (npm run …), not when a test loads the spec.
void runAsMain(module, spec).then((code) => {
    // Whatever might still hold the process (a credential process that never ends, a socket): the
    // outcome is known and printed, so it ends now, with its code.
    if (code !== undefined) setTimeout(() => process.exit(code), 1_000).unref();
});
