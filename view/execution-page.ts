/**
 * The console's picture of one execution as a self-contained HTML page: the graph of the state
 * machine definition with the path taken coloured as the console colours it, the status, input,
 * output, error and cause, the event table, the queued message and the notifications. Pure: a
 * view and a definition in, an HTML string out (`npm start -- --html FILE` and
 * `npm run execution -- --html FILE` write it).
 *
 * The page loads nothing: its style is inline, the graph is inline SVG, it holds no script, and
 * its Content-Security-Policy forbids every load (a page that is opened from a mail or a CI
 * artefact must not reach out). Whoever starts an execution chooses its name, input, error and
 * cause, so all of that is escaped and shown as text.
 */
import { printable, type ExecutionView, type HistoryRow } from "./execution-view";
import { asGraphDefinition, DefinitionShapeError, layoutStateGraph, LAYOUT, type GraphEdge, type StateGraph } from "./state-graph";

/** How far an execution got with a state, as the console's graph colours it. */
export const STATE_STATUS = {
    succeeded: "succeeded",
    failed: "failed",
    /** Failed, and went on through its Catch. */
    caught: "caught",
    inProgress: "in-progress",
    notReached: "not-reached",
} as const;
export type StateStatus = (typeof STATE_STATUS)[keyof typeof STATE_STATUS];

/** The colours of each status (close to the console's), for the boxes and the legend. */
export const STATUS_STYLE: Readonly<Record<StateStatus, { fill: string; stroke: string; label: string }>> = {
    succeeded: { fill: "#d4f2d9", stroke: "#1d8102", label: "Succeeded" },
    failed: { fill: "#fde0dd", stroke: "#d13212", label: "Failed" },
    caught: { fill: "#ffedd1", stroke: "#ec7211", label: "Caught error" },
    "in-progress": { fill: "#dbeeff", stroke: "#0073bb", label: "In progress" },
    "not-reached": { fill: "#ffffff", stroke: "#aab7b8", label: "Not reached" },
};

/**
 * The Content-Security-Policy of the page: nothing may be loaded or run (no script, font, image,
 * frame, form target or base URL; frame-ancestors is not honoured in a meta element); only the page's own inline style applies.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const ENDED = /^Execution(Succeeded|Failed|TimedOut|Aborted)$/;
const ENTERED = /StateEntered$/;
const EXITED = /StateExited$/;
// TaskFailed, TaskTimedOut, LambdaFunctionFailed, MapStateFailed, …: a state's own failure.
const STATE_FAILED = /(Failed|TimedOut|StartFailed|SubmitFailed)$/;
const STATE_SUCCEEDED = /Succeeded$/;

interface Visit {
    exited: boolean;
    /** Index of the row of the state's last failure in this visit (a retry that succeeds clears it). */
    failedAt?: number;
}

/**
 * The status of every state the execution entered, from its history rows (`type` and `state`):
 * exited after success → succeeded; failed and followed by the entry of another state → caught;
 * failed as the last thing it did, a Fail state, or left unfinished by an ended execution →
 * failed; entered and still running → in progress. A state entered more than once is judged by
 * its last visit. States missing from the result were not reached.
 */
export function stateStatuses(history: readonly HistoryRow[]): Map<string, StateStatus> {
    const visits = new Map<string, Visit>();
    let lastEntry = -1;
    let ended: string | undefined;
    history.forEach((row, index) => {
        if (ENDED.test(row.type)) ended = row.type;
        if (row.state === undefined || row.type.startsWith("Execution")) return;
        if (ENTERED.test(row.type)) {
            visits.set(row.state, { exited: false, ...(row.type === "FailStateEntered" ? { failedAt: index } : {}) });
            lastEntry = index;
            return;
        }
        const visit = visits.get(row.state);
        if (visit === undefined) return;
        if (EXITED.test(row.type)) visit.exited = true;
        else if (STATE_FAILED.test(row.type)) visit.failedAt = index;
        else if (STATE_SUCCEEDED.test(row.type)) delete visit.failedAt;
    });
    const statuses = new Map<string, StateStatus>();
    for (const [state, visit] of visits) {
        if (visit.failedAt !== undefined) statuses.set(state, lastEntry > visit.failedAt ? STATE_STATUS.caught : STATE_STATUS.failed);
        else if (visit.exited) statuses.set(state, STATE_STATUS.succeeded);
        else if (ended === undefined) statuses.set(state, STATE_STATUS.inProgress);
        else statuses.set(state, ended === "ExecutionSucceeded" ? STATE_STATUS.succeeded : STATE_STATUS.failed);
    }
    return statuses;
}

// A Parallel or Map state: the states of its branches or iterations run between its entry and its end.
const CONTAINER_ENTERED = /^(Parallel|Map)StateEntered$/;
const CONTAINER_ENDED = /^(Parallel|Map)State(Exited|Failed|Aborted)$/;

/**
 * The transitions the execution took, in order: from each entered state to the next one entered;
 * `caught` when the first failed and the transition was its Catch. The states inside a Parallel
 * or Map (its branches, its iterations) are not steps of the graph's path, which goes from the
 * Parallel or Map to the state after it.
 */
export function takenTransitions(history: readonly HistoryRow[]): { from: string; to: string; caught: boolean }[] {
    const taken: { from: string; to: string; caught: boolean }[] = [];
    let current: string | undefined;
    let failed = false;
    /** The Parallel and Map states entered and not yet ended, innermost last. */
    const open: string[] = [];
    for (const row of history) {
        if (row.state === undefined || row.type.startsWith("Execution")) continue;
        if (ENTERED.test(row.type)) {
            if (open.length === 0) {
                if (current !== undefined) taken.push({ from: current, to: row.state, caught: failed });
                [current, failed] = [row.state, false];
            }
            if (CONTAINER_ENTERED.test(row.type)) open.push(row.state);
            continue;
        }
        if (row.state === open[open.length - 1] && CONTAINER_ENDED.test(row.type)) open.pop();
        if (open.length > 0 || row.state !== current) continue; // an event of a state inside a Parallel or Map
        if (STATE_FAILED.test(row.type)) failed = true;
        else if (STATE_SUCCEEDED.test(row.type)) failed = false;
    }
    return taken;
}

/** Text made safe for HTML (element content and quoted attribute values). */
export function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Text from an execution, for the page: first made printable as in the terminal (no bidirectional
 * overrides or invisible characters that would change what is read), line by line so that line
 * breaks stay, then escaped.
 */
function shown(text: string): string {
    return escapeHtml(text.split("\n").map(printable).join("\n"));
}

/**
 * What the page shows for a value nested more deeply than `JSON.stringify` can go (some
 * thousands of levels: its recursion overflows the stack; `JSON.parse` takes any depth, so a
 * task's output can be such a value).
 */
export const TOO_DEEP_TO_SHOW = "(nested too deeply to show here)";

/** A value as indented JSON (`undefined` as a dash), ready for a `<pre>`. */
function json(value: unknown): string {
    if (value === undefined) return "—";
    let text: string;
    try {
        text = JSON.stringify(value, null, 2) ?? String(value);
    } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        text = TOO_DEEP_TO_SHOW;
    }
    return shown(text);
}

/** The most characters of a name that fit in the widest box; a longer name is cut with "…". */
const MAX_NAME_CHARS = Math.floor((LAYOUT.maxNodeWidth - 28) / LAYOUT.charWidth);

function edgePath(edge: GraphEdge): string {
    return edge.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

function renderGraph(graph: StateGraph, history: readonly HistoryRow[]): string {
    const statuses = stateStatuses(history);
    const taken = takenTransitions(history);
    const isTaken = (edge: GraphEdge) =>
        taken.some((t) => t.from === edge.from && t.to === edge.to && t.caught === (edge.kind === "catch"));
    const edges = graph.edges
        .map((edge) => {
            const classes = ["edge", `edge--${edge.kind}`, ...(edge.back ? ["edge--back"] : []), ...(isTaken(edge) ? ["edge--taken"] : [])];
            return `<path class="${classes.join(" ")}" data-from="${shown(edge.from)}" data-to="${shown(edge.to)}" data-kind="${edge.kind}" d="${edgePath(edge)}" marker-end="url(#${isTaken(edge) ? "arrow-taken" : "arrow"})"><title>${shown(`${edge.from} → ${edge.to} (${edge.kind})`)}</title></path>`;
        })
        .join("\n");
    const nodes = graph.nodes
        .map((node) => {
            const status = statuses.get(node.name) ?? STATE_STATUS.notReached;
            const label = node.name.length > MAX_NAME_CHARS ? `${node.name.slice(0, MAX_NAME_CHARS - 1)}…` : node.name;
            const rx = node.type === "Choice" ? 18 : 6;
            return (
                `<g class="state state--${status}${node.reachable ? "" : " state--unreachable"}" data-state="${shown(node.name)}" data-status="${status}" data-type="${shown(node.type)}">` +
                `<title>${shown(`${node.name} (${node.type}): ${STATUS_STYLE[status].label}${node.reachable ? "" : ", no path leads here"}`)}</title>` +
                `<rect x="${node.x.toFixed(1)}" y="${node.y}" width="${node.width}" height="${node.height}" rx="${rx}"/>` +
                `<text x="${(node.x + node.width / 2).toFixed(1)}" y="${node.y + node.height / 2}">${shown(label)}</text>` +
                (node.terminal
                    ? `<text class="state__end" x="${(node.x + node.width / 2).toFixed(1)}" y="${node.y + node.height + 13}">end</text>`
                    : "") +
                `</g>`
            );
        })
        .join("\n");
    return `<svg class="graph" role="img" aria-label="State machine graph" width="${graph.width}" height="${graph.height}" viewBox="0 0 ${graph.width} ${graph.height}" xmlns="http://www.w3.org/2000/svg">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker>
<marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow arrow--taken"/></marker>
</defs>
${edges}
${nodes}
</svg>`;
}

function legend(): string {
    const items = Object.values(STATE_STATUS)
        .map(
            (status) =>
                `<li class="legend__item"><span class="swatch state--${status}" data-status="${status}"></span>${STATUS_STYLE[status].label}</li>`,
        )
        .join("");
    return `<ul class="legend" aria-label="Legend">${items}<li class="legend__item"><span class="line line--catch"></span>Catch</li><li class="legend__item"><span class="line line--taken"></span>Path taken</li></ul>`;
}

/** The details of each event by id (its `…EventDetails` fields), from the view's AWS-shaped events. */
export function eventDetails(view: ExecutionView): Map<number, Record<string, unknown>> {
    const details = new Map<number, Record<string, unknown>>();
    for (const event of view.events) {
        if (typeof event.id !== "number") continue;
        const fields = Object.entries(event).filter(([key, value]) => key.endsWith("EventDetails") && value !== undefined);
        if (fields.length > 0) details.set(event.id, Object.assign({}, ...fields.map(([, value]) => value)) as Record<string, unknown>);
    }
    return details;
}

function historyTable(view: ExecutionView): string {
    const details = eventDetails(view);
    const statuses = stateStatuses(view.history);
    const rows = view.history
        .map((row) => {
            const detail = details.get(row.id);
            const status = row.state !== undefined ? statuses.get(row.state) : undefined;
            return `<tr class="event${/(Failed|TimedOut|Aborted)$/.test(row.type) ? " event--failed" : ""}" data-id="${row.id}"><td class="num">${row.id}</td><td>${shown(row.type)}</td><td>${row.state === undefined ? "" : `<span class="dot state--${status ?? STATE_STATUS.notReached}"></span>${shown(row.state)}`}</td><td class="num">${Math.round(row.elapsedMs)}</td><td>${detail === undefined ? "" : `<pre class="details">${json(detail)}</pre>`}</td></tr>`;
        })
        .join("\n");
    return `<table class="events"><thead><tr><th class="num">ID</th><th>Type</th><th>Step</th><th class="num">Elapsed ms</th><th>Details</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

const STYLE = `
:root { color-scheme: light; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #16191f; background: #f2f3f3; }
body { margin: 0; padding: 20px 28px 40px; }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 0 0 10px; }
.source { color: #545b64; margin: 0 0 16px; word-break: break-all; }
.panel { background: #fff; border: 1px solid #d5dbdb; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; overflow: auto; }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; align-items: start; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 12px; font-weight: 600; font-size: 13px; vertical-align: middle; border: 1px solid; }
.badge--SUCCEEDED { color: ${STATUS_STYLE.succeeded.stroke}; background: ${STATUS_STYLE.succeeded.fill}; }
.badge--FAILED, .badge--TIMED_OUT, .badge--ABORTED { color: ${STATUS_STYLE.failed.stroke}; background: ${STATUS_STYLE.failed.fill}; }
.badge--RUNNING, .badge--PENDING_REDRIVE { color: ${STATUS_STYLE["in-progress"].stroke}; background: ${STATUS_STYLE["in-progress"].fill}; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 6px 14px; margin: 0; }
dt { color: #545b64; font-weight: 600; }
dd { margin: 0; }
pre { margin: 0; font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }
.graph { display: block; max-width: 100%; height: auto; }
.graph text { font-size: 13px; text-anchor: middle; dominant-baseline: central; fill: #16191f; }
.graph .state__end { font-size: 10px; fill: #879596; }
.state rect { stroke-width: 2; }
${Object.entries(STATUS_STYLE)
    .map(
        ([status, s]) =>
            `.state--${status} rect, .swatch.state--${status}, .dot.state--${status} { fill: ${s.fill}; background: ${s.fill}; stroke: ${s.stroke}; border-color: ${s.stroke}; }`,
    )
    .join("\n")}
.state--not-reached text { fill: #687078; }
.state--unreachable rect { stroke-dasharray: 3 3; }
.edge { fill: none; stroke: #aab7b8; stroke-width: 1.5; }
.edge--catch { stroke-dasharray: 5 4; }
.edge--taken { stroke: #16191f; stroke-width: 2.2; }
.arrow { fill: #aab7b8; }
.arrow--taken { fill: #16191f; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0; margin: 12px 0 0; font-size: 13px; }
.legend__item { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 16px; height: 12px; border: 2px solid; border-radius: 3px; }
.line { display: inline-block; width: 24px; border-top: 2px solid #aab7b8; }
.line--catch { border-top-style: dashed; }
.line--taken { border-top-color: #16191f; }
.dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; border: 2px solid; margin-right: 6px; vertical-align: middle; }
.missing { color: #8d6605; background: #fff8e5; border: 1px solid #f2cf82; border-radius: 6px; padding: 8px 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eaeded; vertical-align: top; }
th { color: #545b64; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.event--failed td { background: #fff5f4; }
.details { max-width: 520px; color: #414750; }
ul.plain { margin: 0; padding-left: 18px; }
`;

export interface ExecutionPageArgs {
    view: ExecutionView;
    /** The definition the execution ran (parsed JSON); when missing, `graphMissing` says why. */
    definition?: unknown;
    /** Why there is no definition (shown where the graph would be). */
    graphMissing?: string;
}

/** The graph of the definition, or a note that says why there is none. */
function graphPanel(args: ExecutionPageArgs): string {
    let why = args.graphMissing ?? "no state machine definition was given";
    if (args.definition !== undefined) {
        try {
            const graph = layoutStateGraph(asGraphDefinition(args.definition));
            return renderGraph(graph, args.view.history) + legend();
        } catch (error) {
            if (!(error instanceof DefinitionShapeError)) throw error;
            why = `the state machine definition cannot be drawn: ${error.message}`;
        }
    }
    return `<p class="missing" id="graph-missing">No graph: ${shown(why)}.</p>`;
}

/** The page of one execution, as a complete HTML document. */
export function renderExecutionPage(args: ExecutionPageArgs): string {
    const { view } = args;
    const took = view.durationMs === undefined ? "" : ` in ${Math.round(view.durationMs)} ms`;
    const field = (name: string, value: string) => `<dt>${name}</dt><dd>${value}</dd>`;
    const summary = [
        field(
            "Status",
            `<span class="badge badge--${escapeHtml(view.status)}" id="status">${shown(view.status)}</span>${escapeHtml(took)}`,
        ),
        field("Input", `<pre id="input">${json(view.input)}</pre>`),
        ...(view.output !== undefined ? [field("Output", `<pre id="output">${json(view.output)}</pre>`)] : []),
        ...(view.error !== undefined ? [field("Error", `<pre id="error">${shown(view.error)}</pre>`)] : []),
        ...(view.cause !== undefined ? [field("Cause", `<pre id="cause">${shown(view.cause)}</pre>`)] : []),
        ...(view.deadLetters !== undefined ? [field("Dead letters", String(view.deadLetters))] : []),
    ].join("\n");
    const notes =
        view.notes !== undefined && view.notes.length > 0
            ? `<section class="panel"><h2>Notes</h2><ul class="plain">${view.notes.map((n) => `<li>${shown(n)}</li>`).join("")}</ul></section>`
            : "";
    const queued =
        view.queuedMessage !== undefined
            ? `<section class="panel"><h2>Message sent to the queue</h2><pre id="queued-message">${json(view.queuedMessage)}</pre></section>`
            : "";
    const notifications = `<section class="panel"><h2>Notifications</h2>${
        view.notifications.length === 0
            ? "<p>None.</p>"
            : view.notifications
                  .map(
                      (n) => `<div class="notification"><p class="source">SNS ${shown(n.topicArn)}</p><pre>${shown(n.message)}</pre></div>`,
                  )
                  .join("\n")
    }</section>`;
    const queue =
        view.queueActivity !== undefined && view.queueActivity.length > 0
            ? `<section class="panel"><h2>Queue</h2><table><thead><tr><th>Event</th><th>Message</th><th class="num">Receives</th><th class="num">Elapsed ms</th></tr></thead><tbody>${view.queueActivity
                  .map(
                      (a) =>
                          `<tr><td>${shown(a.type)}</td><td>${shown(a.messageId.slice(0, 8))}</td><td class="num">${a.receiveCount}</td><td class="num">${Math.round(a.elapsedMs)}</td></tr>`,
                  )
                  .join("")}</tbody></table></section>`
            : "";
    const log =
        view.functionLog !== undefined && view.functionLog.length > 0
            ? `<section class="panel"><h2>Callback function log</h2><pre>${shown(view.functionLog.join("\n"))}</pre></section>`
            : "";
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(PAGE_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Execution ${shown(view.name)}: ${shown(view.status)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1 id="name">Execution ${shown(view.name)}</h1>
<p class="source">${shown(view.source)}</p>
<div class="columns">
<section class="panel" id="graph"><h2>Graph</h2>${graphPanel(args)}</section>
<section class="panel" id="summary"><h2>Details</h2><dl>${summary}</dl></section>
</div>
${notes}
<section class="panel"><h2>Events</h2>${historyTable(view)}</section>
${queued}
${notifications}
${queue}
${log}
</body>
</html>
`;
}
