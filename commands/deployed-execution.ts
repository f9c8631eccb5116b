/**
 * `npm run execution`'s core: start an execution of a deployed stack's state machine, wait for it,
 * and build the same view as the local run from `GetExecutionHistory`. The client and the reading
 * of the stack's outputs are arguments, so tests run it without AWS or the Pulumi CLI.
 *
 * Every call is time-limited (the client's socket timeouts per attempt, an abort signal per call,
 * the whole start and wait within `--wait-seconds`); throttling, 5xx answers and dropped connections
 * are retried by the SDK's standard strategy with backoff, inside those limits; the history is read
 * for at most the events AWS keeps; and a failure names what the service answered.
 */
import { execFile } from "node:child_process";
import { Readable } from "node:stream";
import {
    DescribeExecutionCommand,
    GetExecutionHistoryCommand,
    SFNClient,
    StartExecutionCommand,
    type HistoryEvent,
    type SFNClientConfig,
    type ServiceInputTypes,
    type ServiceOutputTypes,
} from "@aws-sdk/client-sfn";
import type {
    DeserializeHandler,
    DeserializeHandlerArguments,
    FinalizeHandler,
    FinalizeHandlerArguments,
    MiddlewareStack,
} from "@smithy/types";
import { CliError, FORBIDDEN_IN_NAME, formatSeconds } from "./cli";
import { STATE_MACHINE_ARN } from "./execution-args";
import { printable, viewFromHistory, type ExecutionStatus, type ExecutionView } from "../view/execution-view";

/** Runs `pulumi stack output --json` and returns the outputs. */
export function readPulumiStackOutputs(stack?: string): Promise<Record<string, unknown>> {
    const args = ["stack", "output", "--json", ...(stack !== undefined ? ["--stack", stack] : [])];
    return new Promise((resolve, reject) => {
        execFile("pulumi", args, { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
            if (error !== null) {
                const code = (error as NodeJS.ErrnoException).code;
                reject(
                    new CliError(
                        code === "ENOENT"
                            ? "the Pulumi CLI was not found, so the stack's outputs cannot be read: pass --state-machine-arn ARN"
                            : `\`pulumi ${args.join(" ")}\` failed: ${(stderr || error.message).trim()}`,
                    ),
                );
                return;
            }
            try {
                resolve(JSON.parse(stdout) as Record<string, unknown>);
            } catch {
                reject(new CliError(`\`pulumi ${args.join(" ")}\` printed something that is not JSON`));
            }
        });
    });
}

/** The state machine to run: `--state-machine-arn`, or the stack's `stateMachineArn` output. */
export async function resolveStateMachineArn(
    options: { stateMachineArn?: string; stack?: string },
    readOutputs: (stack?: string) => Promise<Record<string, unknown>> = readPulumiStackOutputs,
): Promise<string> {
    if (options.stateMachineArn !== undefined) return options.stateMachineArn;
    const outputs = await readOutputs(options.stack);
    const arn = outputs.stateMachineArn;
    const stack = `the stack${options.stack !== undefined ? ` ${options.stack}` : ""}`;
    if (typeof arn !== "string" || arn === "")
        throw new CliError(`${stack} has no stateMachineArn output: is it deployed (\`pulumi up\`)?`);
    // Checked as --state-machine-arn is: it is sent, printed, and put in commands to paste.
    if (!STATE_MACHINE_ARN.test(arn))
        throw new CliError(`${stack}'s stateMachineArn output ${printable(JSON.stringify(arn))} is not a state machine ARN`);
    return arn;
}

/** The region an ARN names. */
export function regionOf(arn: string): string {
    const region = arn.split(":")[3];
    if (!region) throw new CliError(`${arn} names no region`);
    return region;
}

/**
 * The time limits of `npm run execution`'s calls. Per attempt, the client's socket timeouts; per
 * call (the SDK's retries and their backoff included), an abort signal.
 */
export const EXECUTION_CALL_LIMITS = {
    /** To open a TCP (and TLS) connection to the regional endpoint. */
    connectionTimeoutMs: 5000,
    /** One attempt, from the request to the whole response; also the socket's idle timeout. */
    attemptTimeoutMs: 15_000,
    /** Attempts per call, with the SDK's standard backoff between them. */
    maxAttempts: 5,
    /** One call, its retries included: never longer, whatever `--wait-seconds` says. */
    callTimeoutMs: 60_000,
    /**
     * The least time a call is given, however close the deadline: a DescribeExecution sent just
     * before `--wait-seconds` runs out must not fail for want of a few milliseconds.
     */
    minCallMs: 2000,
    /** Reading the history once the wait is over, every page included. */
    historyReadMs: 60_000,
} as const;

/**
 * The most events an execution's history holds: AWS ends an execution with a history of 25,000
 * events, so a reader that sees more, or a `nextToken` it has seen before, is being led round.
 */
export const MAX_HISTORY_EVENTS = 25_000;

/** Events asked for per `GetExecutionHistory` page (the most the API returns). */
export const HISTORY_PAGE_SIZE = 1000;

/**
 * The most `GetExecutionHistory` pages read for one execution. AWS fills its pages, so the longest
 * history takes 25; four times that leaves room for short pages, while an endpoint that answers
 * empty pages with ever new tokens is not asked tens of thousands of times before the deadline.
 */
export const MAX_HISTORY_PAGES = 4 * Math.ceil(MAX_HISTORY_EVENTS / HISTORY_PAGE_SIZE);

/** Error codes that mean the user's input was wrong (exit code 2), not the service or the network. */
export const USER_INPUT_ERRORS: readonly string[] = [
    "ExecutionAlreadyExists",
    "InvalidArn",
    "InvalidExecutionInput",
    "InvalidName",
    "StateMachineDoesNotExist",
    "StateMachineDeleting",
    "ValidationException",
];

/**
 * A call to Step Functions that failed: the message names the action, what the service answered
 * (or that it did not answer in time), and, once the execution exists, how to follow it.
 */
export class ServiceCallError extends Error {
    constructor(
        message: string,
        /** True when the answer says the user's input was wrong ({@link USER_INPUT_ERRORS}). */
        public readonly userInput: boolean,
    ) {
        super(message);
        this.name = "ServiceCallError";
    }
}

/** The command that shows an execution's status: named in every message once it exists. */
export function followCommand(executionArn: string): string {
    return `aws stepfunctions describe-execution --execution-arn ${executionArn}`;
}

/**
 * The note for a history of no events: every execution's starts with `ExecutionStarted`, so the
 * answer was not the history (a 200 with an error body, say), and the empty table must not pass for one.
 */
export const EMPTY_HISTORY = "GetExecutionHistory returned no events, though every execution's history starts with ExecutionStarted";

/** What an executionArn from StartExecution that is not an execution's ARN is told. */
export const NOT_AN_EXECUTION_ARN = "StartExecution answered with an executionArn that is not an execution's ARN";

/**
 * Whether StartExecution's answer is an execution's ARN (`…:execution:MACHINE:NAME`, the name as
 * Step Functions allows it, printable). It is printed at once and put in the command to follow
 * the execution, which users paste into a shell: an endpoint or a proxy must not choose what runs.
 */
export function isExecutionArn(arn: string): boolean {
    const name = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:execution:[\w.-]{1,80}:(.{1,80})$/u.exec(arn)?.[1];
    return name !== undefined && !FORBIDDEN_IN_NAME.test(name) && printable(name) === name;
}

/** The line added to every error once the execution exists: it goes on, and how to follow it. */
function startedNote(executionArn: string): string {
    return `\n  the execution ${executionArn} was started and goes on; follow it with: ${followCommand(executionArn)}`;
}

/**
 * A DescribeExecution answer without a status: not taken as RUNNING (the wait would last until
 * `--wait-seconds` for a status that never comes), but named at once.
 */
export const MISSING_STATUS = "DescribeExecution answered without the execution's status";

/** What an SDK error carries that says what the service answered. */
export interface SdkErrorShape {
    name?: string;
    message?: string;
    code?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $response?: { statusCode?: number; headers?: Record<string, string> };
}

/** Bodies that were not JSON, kept by {@link keepNonJsonBodies} for the error that follows, by response. */
const nonJsonBodies = new WeakMap<object, string>();

/** At most this much of a non-JSON body is kept, and this much of it shown. */
const KEPT_BODY_BYTES = 64 * 1024;
const EXCERPT_CHARS = 120;

/**
 * What to show of a body that is not the service's JSON (a proxy's or load balancer's HTML error
 * page, say): its `<title>` if it has one, else its start, as one printable line (line breaks and
 * controls run together as one space, then what is left unseen escaped as {@link printable} does).
 */
export function bodyExcerpt(body: string): string {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1];
    const text = (title ?? body.replace(/<[^>]*>/g, " "))
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u001f\u007f-\u009f\s]+/gu, " ")
        .trim();
    return printable(text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text);
}

/**
 * One line that says what the service answered to `action`, with the attempts when the SDK
 * retried (see {@link describeAnswer}).
 */
export function describeServiceFailure(action: string, error: unknown): string {
    const attempts = (error as SdkErrorShape | undefined)?.$metadata?.attempts ?? 1;
    return `${action} failed${attempts > 1 ? ` after ${attempts} attempts` : ""}: ${describeAnswer(error)}`;
}

/**
 * What the service answered, from the SDK's error: the error code, HTTP status and message; for a
 * body that is not JSON its status, type and an excerpt; for a failed connection its code. One
 * printable line: whoever answers (the service, a proxy) words it, and it goes to a terminal.
 */
export function describeAnswer(error: unknown): string {
    const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as SdkErrorShape;
    const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
    let what: string;
    const kept = e.$response !== undefined ? nonJsonBodies.get(e.$response) : undefined;
    if (e.name === "SyntaxError" || kept !== undefined) {
        const type = e.$response?.headers?.["content-type"] ?? "no content type";
        const excerpt = kept !== undefined ? bodyExcerpt(kept) : "";
        what = `HTTP ${status ?? "?"} with a body that is not Step Functions' JSON (${type})${excerpt ? `: "${excerpt}"` : ""}`;
    } else if (e.$fault !== undefined) {
        what = `${e.name} (HTTP ${status ?? "?"})${e.message ? `: ${e.message}` : ""}`;
    } else if (e.code !== undefined) {
        what =
            e.code === "ECONNRESET"
                ? "the connection was closed without an answer (ECONNRESET)"
                : e.message?.includes(e.code)
                  ? e.message
                  : `${e.code}: ${e.message ?? ""}`;
    } else {
        what = `${e.name ?? "Error"}: ${e.message ?? ""}`;
    }
    return printable(what);
}

/**
 * Keeps the body of a response that is not JSON before the SDK's parser consumes it, so that the
 * error can show what the page said rather than a `SyntaxError`; the parser gets the same bytes.
 */
function keepNonJsonBodies(client: SFNClient): void {
    client.middlewareStack.addRelativeTo(
        (next: DeserializeHandler<ServiceInputTypes, ServiceOutputTypes>) =>
            async (args: DeserializeHandlerArguments<ServiceInputTypes>) => {
                const result = await next(args);
                const response = result.response as { headers?: Record<string, string>; body?: unknown };
                const type = response.headers?.["content-type"] ?? "";
                if (!/json/i.test(type) && response.body instanceof Readable) {
                    const chunks: Buffer[] = [];
                    let size = 0;
                    for await (const chunk of response.body) {
                        chunks.push(chunk as Buffer);
                        size += (chunk as Buffer).length;
                        if (size >= KEPT_BODY_BYTES) break;
                    }
                    const bytes = Buffer.concat(chunks).subarray(0, KEPT_BODY_BYTES);
                    nonJsonBodies.set(response, bytes.toString("utf8"));
                    response.body = Readable.from([bytes]);
                }
                return result;
            },
        { relation: "after", toMiddleware: "deserializerMiddleware", name: "keepNonJsonBodies" },
    );
}

/**
 * The client `npm run execution` uses: the SDK's standard retries, and per-attempt socket timeouts
 * that turn a hung connection into a retry ({@link EXECUTION_CALL_LIMITS}). `config` adds to it
 * (tests: a loopback endpoint and shorter limits); `AWS_ENDPOINT_URL_SFN` is honoured as usual.
 */
export function createExecutionClient(config: SFNClientConfig & { attemptTimeoutMs?: number; connectionTimeoutMs?: number }): SFNClient {
    const {
        attemptTimeoutMs = EXECUTION_CALL_LIMITS.attemptTimeoutMs,
        connectionTimeoutMs = EXECUTION_CALL_LIMITS.connectionTimeoutMs,
        ...rest
    } = config;
    const client = new SFNClient({
        retryMode: "standard",
        maxAttempts: EXECUTION_CALL_LIMITS.maxAttempts,
        requestHandler: {
            connectionTimeout: connectionTimeoutMs,
            requestTimeout: attemptTimeoutMs,
            // Without it a response that stalls after its headers holds the attempt.
            socketTimeout: attemptTimeoutMs,
            // The SDK only logs an exceeded request timeout unless told to fail the attempt.
            throwOnRequestTimeout: true,
        },
        ...rest,
    });
    keepNonJsonBodies(client);
    return client;
}

export interface DeployedExecutionArgs {
    client: Pick<SFNClient, "send">;
    stateMachineArn: string;
    name: string;
    input: unknown;
    /** Stop waiting after this long, the start included; the view then says RUNNING. */
    waitSeconds: number;
    /** Between two DescribeExecution calls. */
    pollMs?: number;
    /** Told the execution's ARN as soon as StartExecution returns it. */
    onStarted?: (executionArn: string) => void;
    /** Told the status while waiting (for a progress indicator). */
    onProgress?: (status: string, elapsedMs: number) => void;
    /** Shorter limits, for tests; {@link EXECUTION_CALL_LIMITS} and {@link MAX_HISTORY_EVENTS} otherwise. */
    limits?: { callTimeoutMs?: number; minCallMs?: number; historyReadMs?: number; maxHistoryEvents?: number };
}

/**
 * Keeps the error of each failed attempt of `command` (inside the SDK's retries), so that a call cut
 * short by its deadline can still say what the service last answered: the abort hides it.
 */
function recordAttemptErrors<I extends object, O extends object>(command: {
    middlewareStack: MiddlewareStack<I, O>;
}): {
    last?: unknown;
} {
    const record: { last?: unknown } = {};
    command.middlewareStack.add(
        (next: FinalizeHandler<I, O>) => async (args: FinalizeHandlerArguments<I>) => {
            try {
                return await next(args);
            } catch (error) {
                record.last = error;
                throw error;
            }
        },
        // Low priority in the retry middleware's step: inside its loop, so every attempt is seen.
        { step: "finalizeRequest", priority: "low", name: "recordAttemptErrors" },
    );
    return record;
}

/**
 * What a call cut short at `limitMs` says: the time it had as the user set it (a limit of
 * 59 998 ms, what was left of 60 s by the time the call went out, reads 60 s), and what the
 * service last answered, when an attempt was answered at all.
 */
export function describeNoAnswer(action: string, limitMs: number, lastAnswer?: unknown): string {
    return (
        `${action} got no answer within ${formatSeconds(limitMs)} (retries included)` +
        (lastAnswer !== undefined ? `; the last attempt's answer: ${describeAnswer(lastAnswer)}` : "")
    );
}

/**
 * Sends `command` with an abort signal at `limitMs`, and turns a failure into a
 * {@link ServiceCallError} that says what the service answered (or last answered, when the time
 * ran out during the retries) and, once the execution exists, how to follow it. Every call of
 * `npm run execution` goes through it, the page's `DescribeStateMachineForExecution` included.
 */
export async function callWithin<I extends object, O extends object, T>(
    action: string,
    limitMs: number,
    command: { middlewareStack: MiddlewareStack<I, O> },
    send: (abortSignal: AbortSignal) => Promise<T>,
    context: { executionArn?: string; notStarted?: string },
): Promise<T> {
    const signal = AbortSignal.timeout(Math.max(1, limitMs));
    const attempts = recordAttemptErrors(command);
    try {
        return await send(signal);
    } catch (error) {
        const code = (error as SdkErrorShape).name ?? "";
        // Not the service's answer: no call was sent; the command says what to set up.
        if (code === "CredentialsProviderError") throw error;
        const last = attempts.last !== undefined && attempts.last !== error ? attempts.last : undefined;
        const what = signal.aborted ? describeNoAnswer(action, limitMs, last) : describeServiceFailure(action, error);
        const follow =
            context.executionArn !== undefined
                ? startedNote(context.executionArn)
                : context.notStarted !== undefined && signal.aborted
                  ? `\n  ${context.notStarted}`
                  : "";
        throw new ServiceCallError(`${what}${follow}`, !signal.aborted && USER_INPUT_ERRORS.includes(code));
    }
}

/**
 * The time one call may take: what is left before its deadline, but at least `minCallMs` (a call
 * sent just before the deadline still gets a fair chance) and at most `callTimeoutMs`.
 */
export function callLimitMs(leftMs: number, limits: { callTimeoutMs: number; minCallMs: number }): number {
    return Math.min(limits.callTimeoutMs, Math.max(leftMs, limits.minCallMs));
}

/** Why the reading of a history stops (`done`: it ended), or `next` for another page. */
export type HistoryPageCheck = "done" | "next" | "repeated token" | "too many events" | "too many pages" | "out of time";

/**
 * Whether to ask for another history page, or why not: a `nextToken` seen before, more events
 * than an execution can have, or more pages than {@link MAX_HISTORY_PAGES}, means the history is
 * not ending; past the reading's deadline, the user gets what was read.
 */
export function historyPageCheck(page: {
    nextToken: string | undefined;
    seenTokens: ReadonlySet<string>;
    eventsSoFar: number;
    maxEvents: number;
    /** Pages read so far, this one included. */
    pagesSoFar: number;
    msLeft: number;
}): HistoryPageCheck {
    if (page.nextToken === undefined) return "done";
    if (page.seenTokens.has(page.nextToken)) return "repeated token";
    if (page.eventsSoFar >= page.maxEvents) return "too many events";
    if (page.pagesSoFar >= MAX_HISTORY_PAGES) return "too many pages";
    if (page.msLeft <= 0) return "out of time";
    return "next";
}

/** Starts the execution, waits for it (or for `waitSeconds`), and returns its view. */
export async function runDeployedExecution(args: DeployedExecutionArgs): Promise<ExecutionView> {
    const { client, stateMachineArn, name } = args;
    const callTimeoutMs = args.limits?.callTimeoutMs ?? EXECUTION_CALL_LIMITS.callTimeoutMs;
    const begin = Date.now();
    // The start and the wait share --wait-seconds; each call also has its own limit.
    const waitEnd = begin + args.waitSeconds * 1000;
    const minCallMs = args.limits?.minCallMs ?? EXECUTION_CALL_LIMITS.minCallMs;
    const callLimit = (end: number) => callLimitMs(end - Date.now(), { callTimeoutMs, minCallMs });
    // Retrying StartExecution is safe: with the same name and input, a Standard workflow's
    // StartExecution is idempotent (it returns the execution already started).
    const start = new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(args.input) });
    const started = await callWithin("StartExecution", callLimit(waitEnd), start, (abortSignal) => client.send(start, { abortSignal }), {
        notStarted: `the execution may have started as ${name}; look for it with: aws stepfunctions list-executions --state-machine-arn ${stateMachineArn}`,
    });
    const executionArn = started.executionArn;
    if (executionArn === undefined) throw new ServiceCallError("StartExecution answered without an executionArn", false);
    if (!isExecutionArn(executionArn)) throw new ServiceCallError(`${NOT_AN_EXECUTION_ARN}: ${printable(executionArn)}`, false);
    args.onStarted?.(executionArn);
    const context = { executionArn };
    let status: ExecutionStatus;
    for (;;) {
        const describe = new DescribeExecutionCommand({ executionArn });
        const described = await callWithin(
            "DescribeExecution",
            callLimit(waitEnd),
            describe,
            (abortSignal) => client.send(describe, { abortSignal }),
            context,
        );
        if (described.status === undefined) throw new ServiceCallError(`${MISSING_STATUS}${startedNote(executionArn)}`, false);
        status = described.status as ExecutionStatus;
        args.onProgress?.(status, Date.now() - begin);
        const left = waitEnd - Date.now();
        if (status !== "RUNNING" || left <= 0) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(args.pollMs ?? 1000, left)));
    }
    const readMs = args.limits?.historyReadMs ?? EXECUTION_CALL_LIMITS.historyReadMs;
    const { events, cut } = await readHistory(client, executionArn, {
        end: Date.now() + readMs,
        readMs,
        limit: (end: number) => callLimitMs(end - Date.now(), { callTimeoutMs, minCallMs }),
        maxEvents: args.limits?.maxHistoryEvents ?? MAX_HISTORY_EVENTS,
    });
    const view = viewFromHistory({ name, source: stateMachineArn, status, events });
    const notes: string[] = [];
    if (cut !== undefined) notes.push(cut);
    else if (events.length === 0)
        notes.push(`${EMPTY_HISTORY}; see it with: aws stepfunctions get-execution-history --execution-arn ${executionArn}`);
    if (status === "RUNNING") notes.push(`still running after ${args.waitSeconds} s; follow it with: ${followCommand(executionArn)}`);
    if (notes.length > 0) view.notes = notes;
    return view;
}

/**
 * Reads every page of the history, within `end`; stops, with a note saying why, at a `nextToken`
 * seen before or past `maxEvents` (see {@link historyPageCheck}).
 */
async function readHistory(
    client: Pick<SFNClient, "send">,
    executionArn: string,
    bounds: { end: number; readMs: number; limit: (end: number) => number; maxEvents: number },
): Promise<{ events: HistoryEvent[]; cut?: string }> {
    const events: HistoryEvent[] = [];
    const seen = new Set<string>();
    let nextToken: string | undefined;
    for (let pages = 1; ; pages++) {
        const get = new GetExecutionHistoryCommand({ executionArn, maxResults: HISTORY_PAGE_SIZE, nextToken });
        const page = await callWithin(
            "GetExecutionHistory",
            bounds.limit(bounds.end),
            get,
            (abortSignal) => client.send(get, { abortSignal }),
            { executionArn },
        );
        events.push(...(page.events ?? []));
        if (nextToken !== undefined) seen.add(nextToken);
        const check = historyPageCheck({
            nextToken: page.nextToken,
            seenTokens: seen,
            eventsSoFar: events.length,
            maxEvents: bounds.maxEvents,
            pagesSoFar: pages,
            msLeft: bounds.end - Date.now(),
        });
        if (check === "done") return { events };
        if (check !== "next") {
            const why = {
                "repeated token": "GetExecutionHistory returned a nextToken it had returned before",
                "too many events": `more than ${bounds.maxEvents} events, the most an execution's history holds`,
                "too many pages": `${MAX_HISTORY_PAGES} pages, more than a whole history takes`,
                "out of time": `reading it took longer than ${formatSeconds(bounds.readMs)}`,
            }[check];
            return {
                events,
                cut: `the history was cut after ${events.length} events: ${why}; see the rest with: aws stepfunctions get-execution-history --execution-arn ${executionArn}`,
            };
        }
        nextToken = page.nextToken;
    }
}
