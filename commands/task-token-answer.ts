/**
 * Returning a task token from outside the callback function: what an *external process* (a
 * person approving, a partner system, a long job, `npm run callback`, the local run's `handoff`
 * scenario) does once the work that the function handed off is done.
 *
 * Two parts:
 * - pure checks of a request against AWS's limits ({@link checkTaskToken}, {@link tokenFromText},
 *   {@link checkTaskOutput}, {@link checkTaskFailure}, {@link checkTaskAnswerRequest}); each bad
 *   value throws a {@link TaskAnswerInputError} that names the field and what was wrong, never the
 *   token itself;
 * - {@link sendTaskAnswer}, which sends `SendTaskSuccess`, `SendTaskFailure` or
 *   `SendTaskHeartbeat` with the `SFNClient` it is given, within a deadline, and turns every
 *   outcome into a {@link TaskAnswerResult}: sent, or refused for a {@link TaskAnswerRefusal}
 *   with a message safe to print. It never throws for what the service or the network does.
 *
 * No message, result or error of this module holds the whole token: tokens are shown as their
 * {@link tokenFingerprint}, and a service message that echoes the token (or a piece of it) has it
 * replaced ({@link redactToken}).
 *
 * @example
 * // Region, credentials and endpoint from the environment; timeouts per attempt (the SDK sets none).
 * const client = new SFNClient({ requestHandler: ANSWER_CLIENT_TIMEOUTS });
 * const result = await sendTaskAnswer(client, { taskToken, answer: { action: "success", output: '{"approved":true}' } });
 * if (!result.ok && result.reason === "task-gone") console.log(result.message); // too late: timed out or already answered
 */
import {
    InvalidOutput,
    InvalidToken,
    SendTaskFailureCommand,
    SendTaskHeartbeatCommand,
    SendTaskSuccessCommand,
    TaskDoesNotExist,
    TaskTimedOut,
    type SFNClient,
} from "@aws-sdk/client-sfn";
import { LIMITS, redactToken, tokenFingerprint } from "../functions/callback/error-text";
import { MAX_TIMER_MS } from "../functions/callback/deadline";
import { printable } from "../view/execution-view";
import type { SdkErrorShape } from "./deployed-execution";

/** What to send for a task: its output, its failure, or a heartbeat that keeps it waiting. */
export type TaskAnswer =
    | {
          action: "success";
          /** The task's output: JSON text of at most {@link LIMITS.outputBytes} bytes (UTF-8). */
          output: string;
      }
    | {
          action: "failure";
          /** The error name the state machine's Catch sees; at most {@link LIMITS.error} characters. */
          error?: string;
          /** What went wrong, for a person; at most {@link LIMITS.cause} characters. */
          cause?: string;
      }
    | { action: "heartbeat" };

/** One answer for one task. */
export interface TaskAnswerRequest {
    /** The task token (`$$.Task.Token`, the queued message's `TaskToken`), exactly as issued. */
    taskToken: string;
    answer: TaskAnswer;
}

/** The Step Functions action each answer is sent with. */
export const TASK_ANSWER_ACTIONS = {
    success: "SendTaskSuccess",
    failure: "SendTaskFailure",
    heartbeat: "SendTaskHeartbeat",
} as const;
export type TaskAnswerAction = (typeof TASK_ANSWER_ACTIONS)[keyof typeof TASK_ANSWER_ACTIONS];

/** The part of a request a {@link TaskAnswerInputError} is about. */
export type TaskAnswerField = "taskToken" | "output" | "error" | "cause";

/** A request that could never be sent: the message names the field and what is wrong with it, never the token. */
export class TaskAnswerInputError extends Error {
    constructor(
        public readonly field: TaskAnswerField,
        message: string,
    ) {
        super(message);
        this.name = "TaskAnswerInputError";
    }
}

const CHARACTER_NAMES: Record<string, string> = {
    "\n": "a line break (U+000A)",
    "\r": "a carriage return (U+000D)",
    "\t": "a tab (U+0009)",
    " ": "a space",
    "\u0000": "a NUL byte (U+0000)",
    "\ufeff": "a byte order mark (U+FEFF)",
    "\ufffd": "U+FFFD (bytes that are not UTF-8)",
};

/** Names a character without printing it (it may be invisible, or a terminal control). */
function describeCharacter(c: string): string {
    return CHARACTER_NAMES[c] ?? `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

// Whitespace, controls (C0, DEL, C1), invisible format characters (zero-width, bidi, BOM), line
// separators, and the replacement character that stands for bytes that were not UTF-8. A task token
// holds none of them: one there was added on the way (a second line, a paste, a binary file).
const NOT_IN_A_TOKEN = /[\s\p{Cc}\p{Cf}\u2028\u2029\ufffd]/u;

/**
 * Checks a task token as Step Functions takes it: 1 to {@link LIMITS.taskToken} characters, and
 * (since one there always came from a copy gone wrong) no whitespace, control or invisible
 * character. Returns the token; throws {@link TaskAnswerInputError} naming `source` and what is
 * wrong (its length, the offending character and its position), never the token.
 *
 * @param source how the token was given, for the message (`--token`, `--token-file t.txt`).
 */
export function checkTaskToken(token: string, source = "the task token"): string {
    if (token.length === 0) throw new TaskAnswerInputError("taskToken", `${source} is empty; it should hold the task token`);
    if (token.length > LIMITS.taskToken) {
        throw new TaskAnswerInputError(
            "taskToken",
            `${source} is ${token.length} characters long; a task token has at most ${LIMITS.taskToken} (is it a token, and only one?)`,
        );
    }
    const bad = NOT_IN_A_TOKEN.exec(token);
    if (bad !== null) {
        const lineBreak = bad[0] === "\n" || bad[0] === "\r";
        throw new TaskAnswerInputError(
            "taskToken",
            `${source} contains ${describeCharacter(bad[0])} at character ${bad.index + 1} of ${token.length}; a task token has none` +
                (lineBreak ? " (give one token, on one line)" : " (was it copied whole, and only it?)"),
        );
    }
    return token;
}

/**
 * The token held by a file or standard input: the text less one trailing line break (`\n` or
 * `\r\n`, as `echo` and editors end a file), then {@link checkTaskToken}. A leading byte order
 * mark is the decoder's to drop (`TextDecoder` does).
 */
export function tokenFromText(text: string, source = "the task token"): string {
    return checkTaskToken(text.replace(/\r?\n$/, ""), source);
}

/**
 * Why JSON.parse refused a text, without quoting it: Node's messages say where ("… in JSON at
 * position 7 (line 1 column 8)"), except the one for an unexpected character, which quotes a
 * piece of the text instead ("Unexpected token 'A', \"AQCEAAAAKg\"... is not valid JSON").
 */
function jsonProblem(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.includes('"') ? "an unexpected character" : message;
}

/**
 * Checks a task output: JSON text of at most {@link LIMITS.outputBytes} bytes of UTF-8. Returns
 * it unchanged; throws {@link TaskAnswerInputError} (field `output`) saying which rule it breaks.
 * The message quotes no part of the text (it might be a token given in the wrong place).
 */
export function checkTaskOutput(output: string, source = "the output"): string {
    const bytes = Buffer.byteLength(output, "utf8");
    if (bytes > LIMITS.outputBytes) {
        throw new TaskAnswerInputError("output", `${source} is ${bytes} bytes of UTF-8; a task output holds at most ${LIMITS.outputBytes}`);
    }
    if (output.trim() === "") throw new TaskAnswerInputError("output", `${source} is empty; it should hold JSON (e.g. {} or null)`);
    try {
        JSON.parse(output);
    } catch (error) {
        throw new TaskAnswerInputError("output", `${source} is not valid JSON: ${jsonProblem(error)}`);
    }
    return output;
}

/**
 * Checks a task failure: an error name of at most {@link LIMITS.error} characters and a cause of
 * at most {@link LIMITS.cause}, both optional (as `SendTaskFailure` takes them). Unlike the
 * callback function, which cuts what its work threw, an answer given by hand is refused, not cut.
 */
export function checkTaskFailure(failure: { error?: string; cause?: string }, sources = { error: "the error", cause: "the cause" }) {
    const { error, cause } = failure;
    if (error !== undefined && error.length > LIMITS.error) {
        throw new TaskAnswerInputError(
            "error",
            `${sources.error} is ${error.length} characters long; an error name has at most ${LIMITS.error}`,
        );
    }
    if (cause !== undefined && cause.length > LIMITS.cause) {
        throw new TaskAnswerInputError("cause", `${sources.cause} is ${cause.length} characters long; a cause has at most ${LIMITS.cause}`);
    }
    return { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
}

/** Checks a whole request (see the checks above); returns it, or throws {@link TaskAnswerInputError}. */
export function checkTaskAnswerRequest(request: TaskAnswerRequest): TaskAnswerRequest {
    checkTaskToken(request.taskToken);
    const { answer } = request;
    switch (answer.action) {
        case "success":
            checkTaskOutput(answer.output);
            break;
        case "failure":
            checkTaskFailure(answer);
            break;
        case "heartbeat":
            break;
        default:
            throw new TypeError(`unknown answer action ${JSON.stringify((answer as { action: unknown }).action)}`);
    }
    return request;
}

/**
 * Why an answer was not taken:
 * - `task-gone`: `TaskTimedOut` or `TaskDoesNotExist`: the task timed out, was already answered,
 *   or its execution ended (stopped, failed, or timed out). No answer can reach it any more.
 * - `invalid-token`: `InvalidToken`: not a token Step Functions issued, one cut or changed on the
 *   way, or one of another region or account than the one called.
 * - `invalid-output`: `InvalidOutput`: Step Functions refused the output.
 * - `invalid-request`: `ValidationException`: Step Functions refused another part of the request.
 * - `access-denied`: `AccessDeniedException`: the caller lacks the action on the state machine
 *   that issued the token (or a KMS key refused it: `KmsAccessDeniedException`).
 * - `bad-credentials`: the credentials were refused (expired, unknown, wrong secret).
 * - `no-credentials`: the SDK found no credentials.
 * - `no-region`: no region is set.
 * - `throttled`: throttled on every attempt the client made.
 * - `service-error`: a 5xx on every attempt, or another refusal of the service.
 * - `unreachable`: no connection, a reset, or no answer within the client's per-attempt timeout,
 *   on every attempt.
 * - `timed-out`: no outcome within the deadline ({@link SendTaskAnswerOptions.timeoutMs}).
 * - `aborted`: the caller's abort signal fired.
 * - `client-error`: the SDK could not make the call at all (an endpoint that is not a URL, say).
 *
 * After `unreachable` (but for a refused connection), `timed-out` and `aborted`, the answer may or
 * may not have reached Step Functions: send the same answer again; `task-gone` then means that
 * the first one had arrived (for a success or a failure; a heartbeat can be repeated at will).
 */
export type TaskAnswerRefusal =
    | "task-gone"
    | "invalid-token"
    | "invalid-output"
    | "invalid-request"
    | "access-denied"
    | "bad-credentials"
    | "no-credentials"
    | "no-region"
    | "throttled"
    | "service-error"
    | "unreachable"
    | "timed-out"
    | "aborted"
    | "client-error";

/** Refusals that a later attempt may overcome (the others need a change first, or never pass). */
export const RETRYABLE_REFUSALS: ReadonlySet<TaskAnswerRefusal> = new Set(["throttled", "service-error", "unreachable", "timed-out"]);

/** The answer reached Step Functions and was taken. */
export interface TaskAnswerSent {
    ok: true;
    action: TaskAnswerAction;
    /** {@link tokenFingerprint} of the token: safe to log, the same as the callback function logs. */
    tokenFingerprint: string;
    /** Requests the client made (1 unless it retried). */
    attempts: number;
}

/** The answer was not taken; `message` says why, in a sentence safe to print (no token, no terminal control in it). */
export interface TaskAnswerRefused {
    ok: false;
    action: TaskAnswerAction;
    tokenFingerprint: string;
    reason: TaskAnswerRefusal;
    /** The service's or the network's error name (`TaskTimedOut`, `ECONNREFUSED`, …), when there is one. */
    errorName?: string;
    message: string;
    /** Whether the same answer sent later may succeed (see {@link RETRYABLE_REFUSALS}). */
    retryable: boolean;
    /** Requests the client made, when known. */
    attempts?: number;
}

export type TaskAnswerResult = TaskAnswerSent | TaskAnswerRefused;

export interface SendTaskAnswerOptions {
    /**
     * How long the whole call may take, the client's retries included, before it is abandoned
     * with `timed-out` (default {@link DEFAULT_ANSWER_TIMEOUT_MS}; `Infinity`, or more than a
     * timer waits, 24.8 days: none). Give the client per-attempt timeouts too
     * ({@link ANSWER_CLIENT_TIMEOUTS}): the SDK sets none.
     */
    timeoutMs?: number;
    /** Abandons the call (`aborted`) when it fires. */
    signal?: AbortSignal;
}

/** The default deadline of {@link sendTaskAnswer}. */
export const DEFAULT_ANSWER_TIMEOUT_MS = 20_000;

/**
 * Per-attempt limits for the client's `requestHandler` (`new SFNClient({ requestHandler:
 * ANSWER_CLIENT_TIMEOUTS })`): 3 s to connect, 5 s to answer. The SDK sets none, and without
 * `throwOnRequestTimeout` a request that runs over only logs a warning.
 */
export const ANSWER_CLIENT_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true } as const;

/** What a message may show of a service's text: enough to read, never a flood. */
const MAX_DETAIL = 1000;
function cut(text: string, limit = MAX_DETAIL): string {
    return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** Whether `error` is the service error `name` (by class, or by name: another copy of the SDK, or an unmodeled error). */
function isNamed(error: unknown, name: string, type?: abstract new (...args: never[]) => Error): boolean {
    return (type !== undefined && error instanceof type) || (error instanceof Error && error.name === name);
}

const NETWORK_CODES = new Set([
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EPIPE",
]);
const BAD_CREDENTIALS = new Set([
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
    "MissingAuthenticationToken",
]);
const THROTTLING = new Set(["ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "KmsThrottlingException"]);

/** Classifies what `client.send` threw. */
function refusalOf(error: unknown, action: TaskAnswerAction, token: string): Omit<TaskAnswerRefused, "ok" | "action" | "tokenFingerprint"> {
    const shape = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
    // What the service (or whatever answers in its place) sent is shown without its terminal
    // controls, without the token, and cut to a readable length. A flood is cut first, to what can
    // be shown and two tokens more, less the word the cut went through (it might be a token's start).
    const shown = (text: string, limit: number) => {
        const most = limit + 2 * token.length;
        const head = text.length > most ? `${text.slice(0, most).replace(/[^\s"'`,;()<>[\]{}]*$/, "")}…` : text;
        return cut(printable(redactToken(head, token)), limit);
    };
    const errorName = shown(String(shape.name ?? "Error"), 100);
    const attempts = shape.$metadata?.attempts;
    const detail = shown(String(shape.message ?? error), MAX_DETAIL);
    const tries = attempts !== undefined && attempts > 1 ? ` on all ${attempts} attempts` : "";
    const refused = (reason: TaskAnswerRefusal, message: string): Omit<TaskAnswerRefused, "ok" | "action" | "tokenFingerprint"> => ({
        reason,
        errorName,
        message,
        retryable: RETRYABLE_REFUSALS.has(reason),
        ...(attempts !== undefined ? { attempts } : {}),
    });

    if (isNamed(error, "TaskTimedOut", TaskTimedOut) || isNamed(error, "TaskDoesNotExist", TaskDoesNotExist)) {
        const retried =
            attempts !== undefined && attempts > 1 && action !== "SendTaskHeartbeat"
                ? `; the call was retried (${attempts} attempts), so an earlier attempt may have delivered this very answer`
                : "";
        return refused(
            "task-gone",
            `the task no longer takes an answer (${errorName}): it timed out, was already answered, or its execution ended${retried}`,
        );
    }
    if (isNamed(error, "InvalidToken", InvalidToken)) {
        return refused(
            "invalid-token",
            `Step Functions does not know this task token (${errorName}): it was cut or changed on the way, or it was issued in another region or account than the one called`,
        );
    }
    if (isNamed(error, "InvalidOutput", InvalidOutput))
        return refused("invalid-output", `Step Functions refused the output (${errorName}: ${detail})`);
    if (isNamed(error, "ValidationException"))
        return refused("invalid-request", `Step Functions refused the request (${errorName}: ${detail})`);
    if (isNamed(error, "AccessDeniedException") || isNamed(error, "KmsAccessDeniedException")) {
        // AWS names the resource it checked: "… is not authorized to perform: states:X on resource: arn:… because …".
        const resource = /on resource: (\S+)/.exec(detail)?.[1];
        const where = resource !== undefined ? resource : "the state machine that issued the token";
        const what = isNamed(error, "KmsAccessDeniedException")
            ? `Step Functions could not use its KMS key on the caller's behalf (${errorName}: ${detail})`
            : `the caller may not call states:${action} on ${where}: its role needs states:SendTaskSuccess, states:SendTaskFailure and states:SendTaskHeartbeat on the state machine's ARN, the stack output stateMachineArn (see examples/consumer) (${errorName}: ${detail})`;
        return refused("access-denied", what);
    }
    if (BAD_CREDENTIALS.has(errorName))
        return refused("bad-credentials", `the AWS credentials were refused (${errorName}: ${detail}); renew or fix them`);
    if (errorName === "CredentialsProviderError") {
        return refused(
            "no-credentials",
            "no AWS credentials were found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`)",
        );
    }
    if (/^Region is missing/.test(String(shape.message))) {
        return refused("no-region", "no AWS region is set: set AWS_REGION to the region of the state machine (the region in its ARN)");
    }
    if (THROTTLING.has(errorName)) return refused("throttled", `Step Functions throttled the call (${errorName})${tries}; try again later`);
    const code = typeof shape.code === "string" ? shape.code : undefined;
    if (errorName === "TimeoutError" || (code !== undefined && NETWORK_CODES.has(code))) {
        const why = errorName === "TimeoutError" && code === "ETIMEDOUT" ? "no answer in time" : (code ?? errorName);
        const unknown = code === "ECONNREFUSED" || code === "ENOTFOUND" ? "" : "; whether the answer arrived is unknown: send it again";
        return refused("unreachable", `could not reach Step Functions (${why})${tries}${unknown}`);
    }
    if (shape.$fault === "server" || (shape.$metadata?.httpStatusCode ?? 0) >= 500) {
        return refused("service-error", `Step Functions failed (${errorName}: ${detail})${tries}; try again later`);
    }
    if (shape.$fault === undefined) {
        // Not an answer of the service: the SDK could not make the call (an endpoint that is not a URL, say).
        return refused(
            "client-error",
            `the call could not be made (${errorName}: ${detail}); check the client's endpoint and region (AWS_ENDPOINT_URL_SFN, AWS_REGION)`,
        );
    }
    return refused("service-error", `Step Functions refused the call (${errorName}: ${detail})`);
}

/**
 * Sends one answer for one task with `client`: `SendTaskSuccess` (`answer.action` "success"),
 * `SendTaskFailure` ("failure") or `SendTaskHeartbeat` ("heartbeat").
 *
 * Resolves to a {@link TaskAnswerResult} whatever the service or the network does: `{ ok: true }`
 * when the answer was taken, otherwise `{ ok: false, reason, message }`, with `reason` one of
 * {@link TaskAnswerRefusal} and `message` a sentence without the token. It rejects only with a
 * {@link TaskAnswerInputError}, before anything is sent, for a request that breaks AWS's limits
 * (see {@link checkTaskAnswerRequest}).
 *
 * The client's own retries (the SDK's standard mode: throttling, 5xx and network errors, 3
 * attempts) happen inside; the whole call is bounded by `options.timeoutMs`.
 */
export async function sendTaskAnswer(
    client: Pick<SFNClient, "send">,
    request: TaskAnswerRequest,
    options: SendTaskAnswerOptions = {},
): Promise<TaskAnswerResult> {
    checkTaskAnswerRequest(request);
    const { taskToken, answer } = request;
    const action = TASK_ANSWER_ACTIONS[answer.action];
    const fingerprint = tokenFingerprint(taskToken);
    const command =
        answer.action === "success"
            ? new SendTaskSuccessCommand({ taskToken, output: answer.output })
            : answer.action === "failure"
              ? new SendTaskFailureCommand({ taskToken, ...checkTaskFailure(answer) })
              : new SendTaskHeartbeatCommand({ taskToken });

    const refuse = (details: Omit<TaskAnswerRefused, "ok" | "action" | "tokenFingerprint">): TaskAnswerRefused => ({
        ok: false,
        action,
        tokenFingerprint: fingerprint,
        ...details,
    });

    const timeoutMs = options.timeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS;
    const deadline = new AbortController();
    const signal = options.signal !== undefined ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
    // The SDK honours the signal while a request is on the wire; the race below also bounds what
    // it does not (resolving credentials, say).
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const abandoned = new Promise<{ abandoned: true }>((resolve) => {
        onAbort = () => resolve({ abandoned: true });
        // Node fires a longer delay (Infinity included) after 1 ms: beyond a timer's reach, no deadline.
        if (timeoutMs <= MAX_TIMER_MS) timer = setTimeout(() => deadline.abort(), timeoutMs);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
    });
    // The command is one of three, and `send` is typed per command.
    const send = client.send.bind(client) as (
        command: unknown,
        options: { abortSignal: AbortSignal },
    ) => Promise<{ $metadata?: { attempts?: number } }>;
    try {
        const outcome = await Promise.race([
            send(command, { abortSignal: signal }).then(
                (response) => ({ sent: true as const, attempts: response.$metadata?.attempts ?? 1 }),
                (error: unknown) => ({ sent: false as const, error }),
            ),
            abandoned,
        ]);
        // Abandoned: the race says so, or the SDK rejected with its abort error once the signal fired.
        if ("abandoned" in outcome || (!outcome.sent && signal.aborted)) {
            return deadline.signal.aborted
                ? refuse({
                      reason: "timed-out",
                      message: `no outcome from Step Functions within ${Math.round(timeoutMs / 100) / 10} s; whether the answer arrived is unknown: send it again`,
                      retryable: true,
                  })
                : refuse({
                      reason: "aborted",
                      message: "abandoned by the caller; whether the answer arrived is unknown",
                      retryable: false,
                  });
        }
        if (outcome.sent) return { ok: true, action, tokenFingerprint: fingerprint, attempts: outcome.attempts };
        return refuse(refusalOf(outcome.error, action, taskToken));
    } finally {
        clearTimeout(timer);
        if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    }
}

/** Thrown by {@link assertTaskAnswerSent}: the answer was refused; `result` says why. */
export class TaskAnswerRefusedError extends Error {
    constructor(public readonly result: TaskAnswerRefused) {
        super(`${result.action} for task token ${result.tokenFingerprint}: ${result.message}`);
        this.name = "TaskAnswerRefusedError";
    }
}

/** For callers that would rather throw: returns when `result` is sent, throws {@link TaskAnswerRefusedError} otherwise. */
export function assertTaskAnswerSent(result: TaskAnswerResult): asserts result is TaskAnswerSent {
    if (!result.ok) throw new TaskAnswerRefusedError(result);
}
