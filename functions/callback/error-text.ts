/**
 * Text about errors, made safe to log and to forward: whatever the work throws becomes a bounded
 * error name and cause (formatting never throws), a service error is named for what it means, and
 * no text leaves the function holding a whole task token.
 */
import { createHash } from "node:crypto";

/** AWS's limits on `SendTaskSuccess` and `SendTaskFailure` (Step Functions API reference). */
export const LIMITS = {
    /** `taskToken`: 1 to 2048 characters. */
    taskToken: 2048,
    /** `output`: at most 262144 bytes of UTF-8 JSON. */
    outputBytes: 262_144,
    /** `error`: at most 256 characters. */
    error: 256,
    /** `cause`: at most 32768 characters. */
    cause: 32_768,
} as const;

/** How much of a cause a log line carries (the whole cause goes to Step Functions). */
export const LOGGED_CAUSE_CHARACTERS = 1000;

/** Cuts `text` to at most `limit` characters, marking the cut, never inside a surrogate pair. */
export function bound(text: string, limit: number): string {
    if (text.length <= limit) return text;
    let end = limit - 1;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
    return `${text.slice(0, end)}…`;
}

/**
 * A log-safe fingerprint of a task token: the first 16 hex digits of its SHA-256. Enough to
 * correlate log lines (an operator holding a token computes the same value), useless for calling
 * back. A prefix of the token would not do: real tokens start with the same fixed header.
 */
export function tokenFingerprint(token: string): string {
    return createHash("sha256").update(token).digest("hex").slice(0, 16);
}

/** A run this long of the token's characters, found in a text, is taken to be a piece of the token. */
const TOKEN_PIECE = 12;
/** Tokens shorter than this are not looked for whole: every real one is hundreds of characters long. */
const SHORTEST_REDACTED_TOKEN = 16;
/** What a "word" is when looking for pieces of the token: a run between spaces, quotes and brackets. */
const WORD = /[^\s"'`,;()<>[\]{}]+/g;

/**
 * `text` with the task token taken out: every occurrence of the whole token becomes
 * `[task token <fingerprint>]`, and every word that holds a piece of it ({@link TOKEN_PIECE}
 * characters or more, as a message that cuts the token would show) becomes
 * `[part of the task token]`. A service error (a `ValidationException` names the value it
 * refused) or the work's own error may echo the token, and a cause lands in the execution's
 * history and in logs, which more people read than may answer the task. Linear in the text's
 * length: the token's pieces are looked up in a set.
 */
export function redactToken(text: string, token: string): string {
    if (token.length < SHORTEST_REDACTED_TOKEN) return text;
    const safe = text.split(token).join(`[task token ${tokenFingerprint(token)}]`);
    const pieces = new Set<string>();
    for (let i = 0; i + TOKEN_PIECE <= token.length; i++) pieces.add(token.slice(i, i + TOKEN_PIECE));
    return safe.replace(WORD, (word) => {
        for (let i = 0; i + TOKEN_PIECE <= word.length; i++)
            if (pieces.has(word.slice(i, i + TOKEN_PIECE))) return "[part of the task token]";
        return word;
    });
}

/**
 * {@link redactToken}, then {@link bound} to `limit`, in time that grows with `limit` rather than
 * with the text: only what can be shown is redacted, and a token's length more, so that a token
 * across the cut is still replaced whole. Redacting a whole 10 MB message first took seconds, and
 * a run of 8 million token characters overflowed the regular expression's stack.
 */
export function redactAndBound(text: string, token: string, limit: number): string {
    return bound(redactToken(bound(text, limit + token.length), token), limit);
}

/** The failure reported to Step Functions: an error name and a cause, within AWS's limits. */
export interface TaskFailure {
    error: string;
    cause: string;
}

/** The error name of a thrown value that is not an `Error` and names nothing. */
export const THROWN_VALUE_ERROR = "TaskWorkFailed";

/** The cause of a thrown value that cannot be turned into text at all. */
export const UNPRINTABLE_CAUSE = "The work threw a value that cannot be shown as text.";

/** Runs `read`; undefined when it throws (a getter, a Proxy trap or a `toString` may). */
function attempt<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch {
        return undefined;
    }
}

/** `value[key]` when it is a non-empty string; undefined when it is not, or reading it throws. */
function stringField(value: unknown, key: "name" | "message"): string | undefined {
    if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
    const field = attempt(() => (value as Record<string, unknown>)[key]);
    return typeof field === "string" && field !== "" ? field : undefined;
}

/**
 * Turns whatever the work threw into a bounded error name and cause, and never throws: an object
 * without a prototype, a non-string `name`, a `message` getter or a `toString` that throws, a
 * revoked Proxy all give a description.
 * - error: the thrown value's `name` when it is a non-empty string; else `Error` for an `Error`,
 *   and {@link THROWN_VALUE_ERROR} for anything else;
 * - cause: its `message` when it is a string; else, for an `Error`, a sentence saying its message
 *   cannot be read; else its text (`String(value)`), else its JSON, else {@link UNPRINTABLE_CAUSE}.
 * Pass the task token to keep it out of both.
 */
export function describeFailure(thrown: unknown, token = ""): TaskFailure {
    const isError = attempt(() => thrown instanceof Error) === true;
    const name = stringField(thrown, "name") ?? (isError ? "Error" : THROWN_VALUE_ERROR);
    const message = attempt(() => (thrown as { message?: unknown } | null | undefined)?.message);
    const cause =
        (typeof message === "string" ? message : undefined) ??
        (isError ? `The work threw ${name} with a message that cannot be read.` : undefined) ??
        attempt(() => String(thrown)) ??
        attempt(() => JSON.stringify(thrown)) ??
        UNPRINTABLE_CAUSE;
    return { error: redactAndBound(name, token, LIMITS.error), cause: redactAndBound(cause, token, LIMITS.cause) };
}

/** Whether `error` is the service error `name` (by class, or by name for errors of another SDK copy or client). */
export function isServiceError(error: unknown, name: string): error is Error {
    return error instanceof Error && error.name === name;
}

/** Errors that mean the task no longer takes a callback: it timed out, closed, or never existed. */
export function isTaskGone(error: unknown): error is Error {
    return isServiceError(error, "TaskTimedOut") || isServiceError(error, "TaskDoesNotExist") || isServiceError(error, "InvalidToken");
}

/** Errors that mean Step Functions refuses this output itself: sending it again can never succeed. */
export function isOutputRefused(error: unknown): error is Error {
    return isServiceError(error, "InvalidOutput") || isServiceError(error, "ValidationException");
}

/** What went wrong with a call to Step Functions, in the words a log line uses. */
export type CallErrorKind = "throttled" | "refused" | "service-error" | "unreadable-answer" | "unreachable";

const THROTTLING = new Set(["ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "Throttling"]);

/**
 * Classifies an error of a Step Functions call (other than a gone task or a refused output, which
 * the record handler handles first) by what the answer was, so that the log says what happened:
 * - throttled: Step Functions answered with a throttling error, still after the SDK's retries;
 * - refused: it answered with another 4xx error (`AccessDeniedException`, a KMS error): a
 *   problem of the deployment, not of this message;
 * - service-error: it answered with a 5xx error;
 * - unreadable-answer: it answered 2xx, but the SDK could not read the answer;
 * - unreachable: no answer at all (connection refused or dropped, a call that timed out).
 */
export function classifyCallError(error: unknown): CallErrorKind {
    const name = stringField(error, "name") ?? "";
    const status = attempt(() => (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode);
    if (THROTTLING.has(name) || status === 429) return "throttled";
    if (typeof status !== "number") return "unreachable";
    if (status >= 500) return "service-error";
    if (status >= 400) return "refused";
    return "unreadable-answer";
}

/** The log message for each kind of failed call: what happened, then what becomes of the record. */
export const CALL_ERROR_MESSAGES: Record<CallErrorKind, string> = {
    throttled: "Step Functions throttled the call, still after the SDK's retries; message left on the queue for another delivery",
    refused:
        "Step Functions refused the call (a problem of the deployment, such as a missing permission); message left on the queue, then the dead-letter queue",
    "service-error":
        "Step Functions answered with a server error, still after the SDK's retries; message left on the queue for another delivery",
    "unreadable-answer": "Step Functions answered, but the answer could not be read; message left on the queue for another delivery",
    unreachable:
        "Could not reach Step Functions (no answer, still after the SDK's retries); message left on the queue for another delivery",
};
