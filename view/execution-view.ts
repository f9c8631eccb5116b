/**
 * What the console shows after "Start Execution", as data and as text: the execution's status,
 * its event history (AWS's `HistoryEvent`s, and rows of id, type, state, elapsed ms), the message
 * that went to the queue (token shortened) and the notifications. Built by the local run directly, and from
 * `GetExecutionHistory` for a deployed stack, then printed by the same code.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED" | "PENDING_REDRIVE";

export interface HistoryRow {
    id: number;
    type: string;
    /** The state the event belongs to, if any. */
    state?: string;
    /** Milliseconds since the execution started. */
    elapsedMs: number;
}

export interface Notification {
    topicArn: string;
    message: string;
}

/** A move of a message on the local queue (local runs only). */
export interface QueueActivity {
    type: string;
    messageId: string;
    receiveCount: number;
    elapsedMs: number;
}

export interface ExecutionView {
    /** Execution name. */
    name: string;
    /** Where it ran: the local run and its stack file, or the state machine ARN. */
    source: string;
    status: ExecutionStatus;
    /** From start to end, when it has ended. */
    durationMs?: number;
    input: unknown;
    output?: unknown;
    /** The error a FAILED or TIMED_OUT execution ended with (`States.Timeout`, the work's error name, …). */
    error?: string;
    /** Its cause, when it has one. */
    cause?: string;
    /**
     * The events as `GetExecutionHistory` gives them (`id`, `previousEventId`, `timestamp`, `type`,
     * `…EventDetails`), every TaskToken shortened.
     */
    events: HistoryEvent[];
    /** The events as the text table shows them (built from `events` by {@link historyRows}). */
    history: HistoryRow[];
    /** The body the wait task sent to the queue, its TaskToken shortened. */
    queuedMessage?: unknown;
    notifications: Notification[];
    queueActivity?: QueueActivity[];
    /** Messages in the (local) dead-letter queue at the end. */
    deadLetters?: number;
    /** Notes on how the run differs from the configured stack (shortened timeouts, …). */
    notes?: string[];
    /** The callback function's log, one compact line per entry (local runs only). */
    functionLog?: string[];
}

/** One JSON log line of the function, shortened for the terminal: level, message, the key fields. */
export function compactLogLine(line: string): string {
    let log: Record<string, unknown>;
    try {
        log = JSON.parse(line) as Record<string, unknown>;
    } catch {
        return line;
    }
    const details = ["error", "reason", "receiveCount", "taskToken"]
        .filter((key) => log[key] !== undefined)
        .map((key) => `${key}=${typeof log[key] === "string" ? log[key] : JSON.stringify(log[key])}`);
    return printable(
        `${String(log.level ?? "").padEnd(5)} ${String(log.message ?? "")}${details.length > 0 ? ` (${details.join(", ")})` : ""}`,
    );
}

/** A task token cut to a log-safe prefix. */
export function shortToken(token: string): string {
    return token.length > 16 ? `${token.slice(0, 16)}…` : token;
}

/**
 * A copy of a value with every `TaskToken` field, at any depth, shortened: the history's
 * parameters and the queued message hold one, and show it alike.
 */
export function withShortTokens(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(withShortTokens);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
        Object.entries(value).map(([key, field]) => [
            key,
            key === "TaskToken" && typeof field === "string" ? shortToken(field) : withShortTokens(field),
        ]),
    );
}

/**
 * The rows of the text table: each event's id, type, the state it belongs to (the last one
 * entered; none for the execution's own events) and the milliseconds since the first event.
 */
export function historyRows(events: readonly HistoryEvent[]): HistoryRow[] {
    const start = events[0]?.timestamp?.getTime() ?? 0;
    let state: string | undefined;
    return events.map((event, index) => {
        const entered = event.stateEnteredEventDetails?.name;
        if (entered !== undefined) state = entered;
        const type = String(event.type);
        return {
            id: event.id ?? index + 1,
            type,
            ...(type.startsWith("Execution") || state === undefined ? {} : { state }),
            elapsedMs: (event.timestamp?.getTime() ?? start) - start,
        };
    });
}

/** The longest detail the text table shows in one cell; `--json` has every detail whole. */
export const DETAIL_WIDTH = 100;

/**
 * The detail of an event that the text table shows: what a task returned (TaskSucceeded), the
 * error and cause a task or the execution ended with; empty for the rest. Escaped with
 * {@link printable} and cut to {@link DETAIL_WIDTH} characters.
 */
export function eventDetail(event: HistoryEvent): string {
    const failed =
        event.taskFailedEventDetails ??
        event.taskTimedOutEventDetails ??
        event.executionFailedEventDetails ??
        event.executionTimedOutEventDetails ??
        event.executionAbortedEventDetails;
    let text = "";
    if (event.taskSucceededEventDetails?.output !== undefined) text = `output: ${event.taskSucceededEventDetails.output}`;
    else if (failed !== undefined)
        text = [failed.error !== undefined ? `error: ${failed.error}` : "", failed.cause !== undefined ? `cause: ${failed.cause}` : ""]
            .filter((part) => part !== "")
            .join(", ");
    const shown = printable(text);
    if (shown.length <= DETAIL_WIDTH) return shown;
    // Not between the two halves of a character outside the BMP (an emoji): a lone half prints as garbage.
    const end = /[\uD800-\uDBFF]/.test(shown[DETAIL_WIDTH - 2]) ? DETAIL_WIDTH - 2 : DETAIL_WIDTH - 1;
    return `${shown.slice(0, end)}…`;
}

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Characters that change what a terminal shows without being seen: C0 and C1 controls (cursor
 * moves, erasing, 8-bit CSI), DEL, line and paragraph separators, bidirectional overrides and
 * isolates (which reorder what follows: "demo\u202eDEDEECCUS" reads "demoSUCCEEDED"), and
 * zero-width characters.
 */
// eslint-disable-next-line no-control-regex -- control characters are what is matched
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Text that came from an execution (its name, input, error, cause, a notification: whoever starts
 * an execution chooses them) made safe for a terminal: the characters above are escaped as
 * `\uXXXX` (`\n`, `\r`, `\t` for those three), so that no text can move the cursor, erase a
 * line, reorder what is shown or print a line of its own (a forged status, say).
 */
export function printable(text: string): string {
    return text.replace(UNSAFE, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function table(headers: string[], rows: string[][], alignRight: boolean[]): string {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) =>
        cells
            .map((cell, i) => (alignRight[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const indent = (text: string, by = "  ") =>
    text
        .split("\n")
        .map((l) => by + l)
        .join("\n");

/** The console's view of one execution, as text. */
export function renderExecution(view: ExecutionView): string {
    const parts: string[] = [];
    const took = view.durationMs === undefined ? "" : ` in ${Math.round(view.durationMs)} ms`;
    parts.push(`Execution ${view.name}: ${view.status}${took}`);
    parts.push(
        indent(
            `source: ${view.source}\ninput:  ${JSON.stringify(view.input)}` +
                (view.output === undefined ? "" : `\noutput: ${JSON.stringify(view.output)}`) +
                (view.error === undefined ? "" : `\nerror:  ${printable(view.error)}`) +
                (view.cause === undefined ? "" : `\ncause:  ${printable(view.cause)}`),
        ),
    );
    for (const note of view.notes ?? []) parts.push(indent(`note: ${note}`));
    if (view.queuedMessage !== undefined) {
        parts.push(`\nMessage sent to the queue:\n${indent(JSON.stringify(view.queuedMessage, null, 2))}`);
    }
    if (view.queueActivity !== undefined && view.queueActivity.length > 0) {
        const rows = view.queueActivity.map((a) => [
            a.type,
            a.messageId.slice(0, 8),
            String(a.receiveCount),
            String(Math.round(a.elapsedMs)),
        ]);
        parts.push(`\nQueue:\n${indent(table(["Event", "Message", "Receives", "Elapsed ms"], rows, [false, false, true, true]))}`);
        if (view.deadLetters !== undefined)
            parts.push(indent(`dead-letter queue: ${view.deadLetters} message${view.deadLetters === 1 ? "" : "s"}`));
    }
    if (view.functionLog !== undefined && view.functionLog.length > 0) {
        parts.push(`\nCallback function log:\n${indent(view.functionLog.join("\n"))}`);
    }
    const details = new Map(view.events.map((event) => [event.id, eventDetail(event)]));
    const rows = view.history.map((r) => [String(r.id), r.type, r.state ?? "", String(Math.round(r.elapsedMs)), details.get(r.id) ?? ""]);
    parts.push(
        `\nEvent history:\n${indent(table(["ID", "Type", "State", "Elapsed ms", "Details"], rows, [true, false, false, true, false]))}`,
    );
    if (view.notifications.length === 0) {
        parts.push("\nNotification: none");
    } else {
        for (const n of view.notifications) parts.push(`\nNotification (SNS ${n.topicArn}):\n${indent(printable(n.message))}`);
    }
    // Every line again: the name, the input and output (JSON leaves C1 controls, DEL and bidi
    // characters as they are), the queued message, the history's state names. Fields that may hold
    // a line break (error, cause, notifications, log lines) were escaped where they went in, since
    // this pass sees their lines apart.
    return parts.join("\n").split("\n").map(printable).join("\n");
}

/** The paths `--expect` can assert: the execution succeeded, or it ended without success. */
export const EXPECTED_PATHS = ["success", "failure"] as const;
export type ExpectedPath = (typeof EXPECTED_PATHS)[number];

/** The exit code of a run whose execution did not take the path `--expect` named (0, 1 and 2 keep their meaning). */
export const UNEXPECTED_PATH_EXIT_CODE = 4;

/** The execution (or one of many) did not take the path `--expect` named; the message says what happened instead. */
export class UnexpectedPathError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UnexpectedPathError";
    }
}

/** The path an ended execution took; `undefined` while it runs (or waits for a redrive). */
export function pathTaken(status: ExecutionStatus): ExpectedPath | undefined {
    if (status === "SUCCEEDED") return "success";
    return status === "RUNNING" || status === "PENDING_REDRIVE" ? undefined : "failure";
}

/** How many of many executions that took another path `--expect` names with their status and error. */
export const MAX_NAMED_EXECUTIONS = 3;

/** How an execution that did not take the expected path ended: `ended FAILED (error: cause)`, `is still RUNNING`. */
function howItEnded(view: ExecutionView): string {
    if (view.status === "RUNNING") return "is still RUNNING";
    const reason = view.error === undefined ? "" : ` (${view.error}${view.cause === undefined ? "" : `: ${view.cause}`})`;
    return `ended ${view.status}${reason}`;
}

/**
 * Whether every execution took the `expected` path: `undefined` when they all did, else one line
 * saying what happened instead: the status, with the error and cause, of a single execution; of
 * many, how many took which status and the first {@link MAX_NAMED_EXECUTIONS} of them by name (so
 * that the one failing among thousands can be found).
 */
export function unexpectedPath(expected: ExpectedPath, views: readonly ExecutionView[]): string | undefined {
    const missed = views.filter((view) => pathTaken(view.status) !== expected);
    if (missed.length === 0) return undefined;
    if (views.length === 1) return printable(`expected ${expected}, but execution ${missed[0].name} ${howItEnded(missed[0])}`);
    const statuses = new Map<string, number>();
    for (const view of missed) statuses.set(view.status, (statuses.get(view.status) ?? 0) + 1);
    const counts = [...statuses].map(([status, count]) => `${count} ${status}`).join(", ");
    const named = missed.slice(0, MAX_NAMED_EXECUTIONS).map((view) => `${view.name} ${howItEnded(view)}`);
    if (missed.length > MAX_NAMED_EXECUTIONS) named.push(`${missed.length - MAX_NAMED_EXECUTIONS} more`);
    return printable(
        `expected ${expected}, but ${missed.length} of ${views.length} executions took another path (${counts}): ${named.join("; ")}`,
    );
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface RunSummary {
    executions: number;
    concurrency: number;
    wallMs: number;
    /** Executions per status. */
    statuses: Record<string, number>;
    /** Executions per path: how the wait for the callback ended, and the notification it led to. */
    outcomes: Record<string, number>;
    latencyMs: { p50: number; p90: number; p99: number; max: number };
    executionsPerSecond: number;
    /** What the run took of the machine, when it was measured (local runs). */
    resources?: RunResources;
}

/** What a run took of the machine. */
export interface RunResources {
    /** The process's peak resident memory, in bytes (`process.resourceUsage().maxRSS`: every thread, the function's environments too). */
    peakMemoryBytes: number;
    /** The function's execution environments: how many were started, the most alive at once, and how many were discarded. */
    environments?: { started: number; peak: number; discarded: number };
}

/**
 * The path an execution took: how its wait for the callback ended (TaskSucceeded, TaskFailed,
 * TaskTimedOut) and which notification followed. The status says less: a failed and a timed-out
 * task both end in a FAILED execution (through "Notify Failure").
 */
export function outcomeOf(view: ExecutionView): string {
    const wait = view.history.filter((r) => /^Task(Succeeded|Failed|TimedOut)$/.test(r.type))[0];
    const notified = view.history.find((r) => r.type === "TaskStateEntered" && r.state?.startsWith("Notify"))?.state;
    return [wait?.type ?? "no callback", notified ?? "no notification"].join(" → ");
}

/** Summarizes many executions: statuses, paths, throughput and latency percentiles. */
export function summarize(views: ExecutionView[], concurrency: number, wallMs: number, resources?: RunResources): RunSummary {
    const latencies = views
        .map((v) => v.durationMs ?? NaN)
        .filter((n) => !Number.isNaN(n))
        .sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    for (const v of views) {
        statuses[v.status] = (statuses[v.status] ?? 0) + 1;
        const outcome = outcomeOf(v);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    return {
        executions: views.length,
        concurrency,
        wallMs,
        statuses,
        outcomes,
        latencyMs: {
            p50: percentile(latencies, 50),
            p90: percentile(latencies, 90),
            p99: percentile(latencies, 99),
            max: latencies.at(-1) ?? NaN,
        },
        executionsPerSecond: views.length / (wallMs / 1000),
        ...(resources !== undefined ? { resources } : {}),
    };
}

/** The summary of many executions as text: statuses, paths, throughput, latency and, when measured, memory. */
export function renderSummary(summary: RunSummary): string {
    const statuses = Object.entries(summary.statuses)
        .map(([status, count]) => `${count} ${status}`)
        .join(", ");
    const l = summary.latencyMs;
    const outcomes = Object.entries(summary.outcomes)
        .map(([outcome, count]) => `${count} ${outcome}`)
        .join(", ");
    return [
        `${summary.executions} executions, ${Math.min(summary.concurrency, summary.executions)} at a time, in ${Math.round(summary.wallMs)} ms: ${statuses}`,
        `  paths:      ${outcomes}`,
        `  throughput: ${summary.executionsPerSecond.toFixed(1)} executions/s`,
        `  latency:    p50 ${l.p50.toFixed(1)} ms, p90 ${l.p90.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`,
        ...(summary.resources !== undefined ? [renderResources(summary.resources)] : []),
    ].join("\n");
}

/** The memory line of a run's summary, with its function environments when known. */
function renderResources(resources: RunResources): string {
    const memory = `  memory:     peak ${Math.round(resources.peakMemoryBytes / 2 ** 20)} MiB resident`;
    const e = resources.environments;
    if (e === undefined) return memory;
    const discarded = e.discarded > 0 ? `, ${e.discarded} discarded` : "";
    return `${memory}, ${e.started} function environment${e.started === 1 ? "" : "s"} started (at most ${e.peak} at once${discarded})`;
}

function parseJson(text: string | undefined): unknown {
    if (text === undefined) return undefined;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** An event with the TaskToken in its scheduled parameters shortened (the rest holds none). */
function withShortTokensInEvent(event: HistoryEvent): HistoryEvent {
    const scheduled = event.taskScheduledEventDetails;
    if (scheduled?.parameters === undefined) return event;
    const parameters = parseJson(scheduled.parameters);
    if (typeof parameters === "string") return event; // not JSON: nothing to find a token in
    return { ...event, taskScheduledEventDetails: { ...scheduled, parameters: JSON.stringify(withShortTokens(parameters)) } };
}

/**
 * The error and cause an execution ended with, from its history's last ExecutionFailed,
 * ExecutionTimedOut or ExecutionAborted event, as `DescribeExecution` gives them (an empty cause
 * left out); none for an execution that has not ended so.
 */
export function executionEnd(events: readonly HistoryEvent[]): { error?: string; cause?: string } {
    let ended: { error?: string; cause?: string } | undefined;
    for (const event of events) {
        ended = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails ?? ended;
    }
    return {
        ...(ended?.error !== undefined ? { error: ended.error } : {}),
        ...(ended?.cause !== undefined && ended.cause !== "" ? { cause: ended.cause } : {}),
    };
}

/**
 * Builds the view of a deployed execution from its `GetExecutionHistory` events (in order): the
 * events as AWS gave them (TaskToken shortened), the table's rows, the input, output, error and
 * cause. The queued message and the notifications come from the tasks' scheduled parameters (a
 * notification, from a publish whose task succeeded).
 */
export function viewFromHistory(args: { name: string; source: string; status: ExecutionStatus; events: HistoryEvent[] }): ExecutionView {
    const events = args.events.map(withShortTokensInEvent);
    const start = events[0]?.timestamp?.getTime() ?? 0;
    const notifications: Notification[] = [];
    let queuedMessage: unknown;
    let input: unknown;
    let output: unknown;
    let end: number | undefined;
    /** The SNS publish scheduled and not yet ended (the workflow runs one task at a time). */
    let publishing: Notification | undefined;
    for (const event of events) {
        const time = event.timestamp?.getTime() ?? start;
        const type = String(event.type);
        if (event.executionStartedEventDetails) input = parseJson(event.executionStartedEventDetails.input);
        if (event.executionSucceededEventDetails) output = parseJson(event.executionSucceededEventDetails.output);
        if (/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(type)) end = time;
        const scheduled = event.taskScheduledEventDetails;
        if (scheduled !== undefined) {
            const parameters = parseJson(scheduled.parameters) as Record<string, unknown> | undefined;
            if (scheduled.resourceType === "sqs" && scheduled.resource?.startsWith("sendMessage")) {
                queuedMessage = withShortTokens(
                    parseJson(
                        typeof parameters?.MessageBody === "string" ? parameters.MessageBody : JSON.stringify(parameters?.MessageBody),
                    ),
                );
            }
            if (scheduled.resourceType === "sns" && scheduled.resource === "publish") {
                publishing = { topicArn: String(parameters?.TopicArn ?? ""), message: String(parameters?.Message ?? "") };
            }
        }
        // A publish is a notification once its task succeeded: a retried one was sent once, a failed one never.
        if (event.taskSucceededEventDetails?.resourceType === "sns" && publishing !== undefined) notifications.push(publishing);
        if (/^Task(Succeeded|Failed|TimedOut)$/.test(type)) publishing = undefined;
    }
    return {
        name: args.name,
        source: args.source,
        status: args.status,
        ...(end !== undefined ? { durationMs: end - start } : {}),
        input,
        ...(output !== undefined ? { output } : {}),
        ...executionEnd(events),
        events,
        history: historyRows(events),
        ...(queuedMessage !== undefined ? { queuedMessage } : {}),
        notifications,
    };
}
