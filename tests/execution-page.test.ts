/**
 * The execution page (view/execution-page.ts, `--html FILE`): the status of each state from the
 * history rows, then real pages, of real local runs, opened in headless Chromium (Debian's
 * `chromium`, driven by playwright-core) with every network request recorded and refused: the
 * test reads what the browser shows (the colours along the path, the table rows, hostile input
 * as text, no script run, every state laid out). A screenshot of each is taken only where
 * EXECUTION_PAGE_SCREENSHOTS names a folder (a CI artefact, say): a full-page screenshot costs the
 * browser about as much CPU as opening the page.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { DEFAULT_SETTINGS } from "../infra/config";
import { buildCallbackDefinition, STATE_NAMES } from "../infra/definition";
import { LocalWorkflow } from "../local/local-workflow";
import { SCENARIOS, type ScenarioName } from "../local/scenarios";
import {
    escapeHtml,
    PAGE_CSP,
    renderExecutionPage,
    STATE_STATUS,
    stateStatuses,
    STATUS_STYLE,
    takenTransitions,
    TOO_DEEP_TO_SHOW,
    type StateStatus,
} from "../view/execution-page";
import { printable, type ExecutionView, type HistoryRow } from "../view/execution-view";
import { CHROMIUM_ARGS, CHROMIUM_PATH_VARIABLE, chromiumPath } from "./support/browser";
import { runInProcess } from "./support/processes";

const CHROMIUM = chromiumPath();

/** Text that would run a script or load an image if the page did not escape it. */
const HOSTILE = `</script><img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;

const S = STATE_NAMES;
const rows = (...entries: [string, string?][]): HistoryRow[] =>
    entries.map(([type, state], i) => ({ id: i + 1, type, ...(state !== undefined ? { state } : {}), elapsedMs: i }));

describe("the status of each state, from the history (view/execution-page.ts)", () => {
    it("succeeded, caught, failed, in progress; not reached states are left out", () => {
        const caught = rows(
            ["ExecutionStarted"],
            ["TaskStateEntered", "Work"],
            ["TaskFailed", "Work"],
            ["TaskStateExited", "Work"],
            ["TaskStateEntered", "Tell"],
            ["TaskSucceeded", "Tell"],
            ["TaskStateExited", "Tell"],
            ["FailStateEntered", "Stop"],
            ["ExecutionFailed"],
        );
        assert.deepEqual(Object.fromEntries(stateStatuses(caught)), {
            Work: STATE_STATUS.caught,
            Tell: STATE_STATUS.succeeded,
            Stop: STATE_STATUS.failed,
        });
        assert.deepEqual(takenTransitions(caught), [
            { from: "Work", to: "Tell", caught: true },
            { from: "Tell", to: "Stop", caught: false },
        ]);
        const running = rows(["ExecutionStarted"], ["TaskStateEntered", "Work"], ["TaskScheduled", "Work"]);
        assert.deepEqual(Object.fromEntries(stateStatuses(running)), { Work: STATE_STATUS.inProgress });
        const uncaught = rows(["ExecutionStarted"], ["TaskStateEntered", "Work"], ["TaskTimedOut", "Work"], ["ExecutionFailed"]);
        assert.deepEqual(Object.fromEntries(stateStatuses(uncaught)), { Work: STATE_STATUS.failed });
        const timedOut = rows(["ExecutionStarted"], ["TaskStateEntered", "Work"], ["ExecutionTimedOut"]);
        assert.deepEqual(Object.fromEntries(stateStatuses(timedOut)), { Work: STATE_STATUS.failed });
    });

    it("the states inside a Parallel or Map are not steps of the path: it goes from the Parallel or Map to what follows it", () => {
        const nested = rows(
            ["ExecutionStarted"],
            ["ParallelStateEntered", "Fan"],
            ["ParallelStateStarted", "Fan"],
            ["PassStateEntered", "Left"],
            ["PassStateExited", "Left"],
            ["PassStateEntered", "Right"],
            ["PassStateExited", "Right"],
            ["ParallelStateSucceeded", "Fan"],
            ["ParallelStateExited", "Fan"],
            ["MapStateEntered", "Each"],
            ["MapStateStarted", "Each"],
            ["MapIterationStarted", "Each"],
            ["TaskStateEntered", "Item"],
            ["TaskFailed", "Item"],
            ["MapIterationFailed", "Each"],
            ["MapStateFailed", "Each"],
            ["PassStateEntered", "Recover"],
            ["PassStateExited", "Recover"],
            ["ExecutionSucceeded"],
        );
        assert.deepEqual(takenTransitions(nested), [
            { from: "Fan", to: "Each", caught: false },
            { from: "Each", to: "Recover", caught: true },
        ]);
        assert.equal(stateStatuses(nested).get("Each"), STATE_STATUS.caught);
        const branch = { StartAt: "Left", States: { Left: { Type: "Pass", Next: "Right" }, Right: { Type: "Pass", End: true } } };
        const definition = {
            StartAt: "Fan",
            States: {
                Fan: { Type: "Parallel", Branches: [branch], Next: "Each" },
                Each: {
                    Type: "Map",
                    ItemProcessor: {
                        StartAt: "Item",
                        States: { Item: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", End: true } },
                    },
                    Catch: [{ ErrorEquals: ["States.ALL"], Next: "Recover" }],
                    End: true,
                },
                Recover: { Type: "Pass", End: true },
            },
        };
        const page = renderExecutionPage({
            view: { name: "nested", source: "test", status: "SUCCEEDED", input: {}, events: [], history: nested, notifications: [] },
            definition,
        });
        const taken = [...page.matchAll(/<path class="([^"]*)" data-from="([^"]*)" data-to="([^"]*)"/g)]
            .filter(([, classes]) => classes.split(" ").includes("edge--taken"))
            .map(([, , from, to]) => `${from}→${to}`);
        assert.deepEqual(taken, ["Fan→Each", "Each→Recover"]);
    });

    it("a failure that a Retry recovered from is a success", () => {
        const retried = rows(
            ["ExecutionStarted"],
            ["TaskStateEntered", "Work"],
            ["TaskFailed", "Work"],
            ["TaskScheduled", "Work"],
            ["TaskSucceeded", "Work"],
            ["TaskStateExited", "Work"],
            ["ExecutionSucceeded"],
        );
        assert.deepEqual(Object.fromEntries(stateStatuses(retried)), { Work: STATE_STATUS.succeeded });
    });

    it("escapes everything taken from the execution", () => {
        assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
        const page = renderExecutionPage({
            view: {
                name: HOSTILE,
                source: HOSTILE,
                status: "FAILED",
                input: { note: HOSTILE },
                error: HOSTILE,
                cause: HOSTILE,
                events: [],
                history: rows(["ExecutionStarted"], ["TaskStateEntered", HOSTILE]),
                queuedMessage: { Input: HOSTILE },
                notifications: [{ topicArn: HOSTILE, message: HOSTILE }],
            },
            definition: { StartAt: HOSTILE, States: { [HOSTILE]: { Type: "Pass", End: true } } },
        });
        assert.doesNotMatch(page, /<script|<img/i);
    });

    it("a status the service words (not one of the known ones) is shown printable, as the rest is", () => {
        // DescribeExecution's status is shown as it comes: a new status, or an endpoint's invention.
        const status = "SUCCEEDED\u202e\u001b[2J" as ExecutionView["status"];
        const page = renderExecutionPage({
            view: { name: "n", source: "test", status, input: {}, events: [], history: [], notifications: [] },
        });
        assert.ok(page.includes(`id="status">${escapeHtml(printable(status))}</span>`));
        assert.ok(page.includes(`<title>Execution n: ${escapeHtml(printable(status))}</title>`));
    });

    it("a value nested too deeply to print (a task's output, say) is named, not a failed page", () => {
        let deep: unknown = "bottom";
        for (let i = 0; i < 100_000; i++) deep = [deep]; // JSON.parse takes it; JSON.stringify overflows the stack
        const page = renderExecutionPage({
            view: {
                name: "deep",
                source: "test",
                status: "SUCCEEDED",
                input: deep,
                output: { ok: true },
                events: [],
                history: [],
                notifications: [],
            },
        });
        assert.ok(page.includes(`<pre id="input">${escapeHtml(TOO_DEEP_TO_SHOW)}</pre>`));
        assert.match(page, /<pre id="output">\{\n {2}&#34;ok&#34;: true\n\}<\/pre>/);
    });

    it("a definition is read by its own states only: a name inherited from Object (toString) is not a state", () => {
        const view: ExecutionView = {
            name: "n",
            source: "test",
            status: "SUCCEEDED",
            input: {},
            events: [],
            history: [],
            notifications: [],
        };
        for (const definition of [
            { StartAt: "toString", States: { A: { Type: "Pass", End: true } } },
            { StartAt: "A", States: { A: { Type: "Pass", Next: "constructor" } } },
        ]) {
            const page = renderExecutionPage({ view, definition });
            assert.match(page, /id="graph-missing">No graph: the state machine definition cannot be drawn: /, JSON.stringify(definition));
        }
    });
});

/** The local run of a scenario, as `npm start` runs it. */
async function localRun(scenario: ScenarioName, input: unknown): Promise<{ view: ExecutionView; definition: unknown }> {
    const workflow = await LocalWorkflow.start({
        settings: DEFAULT_SETTINGS,
        source: "test",
        // The timeout scenario waits for this long: the shortest there is.
        taskTimeoutSeconds: scenario === "timeout" ? 1 : SCENARIOS[scenario].taskTimeoutSeconds,
        redeliveryDelayMs: 20,
    });
    try {
        const view = await workflow.execute(`page-${scenario}`, SCENARIOS[scenario].input?.(input) ?? input, SCENARIOS[scenario].delivery);
        return { view, definition: workflow.definition };
    } finally {
        await workflow.close();
    }
}

/** The browser functions the test calls inside the page (the project compiles without DOM types). */
type BrowserWindow = { getComputedStyle(element: unknown): { fill: string } };
type Shown = {
    getBoundingClientRect(): { width: number; height: number };
    parentElement: Shown | null;
};
type ShownStyle = { visibility: string; display: string; opacity: string };

/** Where screenshots of the pages go, when they are wanted. */
// Set but empty counts as not set (it would name the current folder).
const SCREENSHOTS = process.env.EXECUTION_PAGE_SCREENSHOTS || undefined;

/** `#rrggbb` as the browser reports a computed colour. */
function rgb(hex: string): string {
    const n = Number.parseInt(hex.slice(1), 16);
    return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

describe("the execution page in headless Chromium", function () {
    this.timeout(60_000);
    let browser: Browser;
    /**
     * The one page every test opens its file in: a new page is a new renderer process, about half
     * a second of CPU each. Its listeners, added once, record into {@link current}.
     */
    let page: Page;
    /** The file the page shows now, and what the page did since it was opened. */
    let current: { url: string; requests: string[]; problems: string[] } = { url: "", requests: [], problems: [] };
    let folder: string;
    /**
     * The local runs the pages draw, started at once while the browser starts: independent of
     * each other, and the timed-out one waits its TimeoutSeconds. Each test awaits its own.
     */
    let runs: Record<"success" | "failure" | "timeout", Promise<{ view: ExecutionView; definition: unknown }>>;

    before(async () => {
        runs = {
            success: localRun("success", { order: 42, note: HOSTILE }),
            failure: localRun("failure", { order: 42 }),
            timeout: localRun("timeout", { order: 42 }),
        };
        // Awaited by their tests; a failure shows there, not as an unhandled rejection here.
        for (const run of Object.values(runs)) run.catch(() => undefined);
        if (!fs.existsSync(CHROMIUM)) {
            throw new Error(
                `${CHROMIUM} is missing: these tests open the page in Debian's Chromium (apt-get install chromium), or the browser ${CHROMIUM_PATH_VARIABLE} names`,
            );
        }
        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "execution-page-"));
        page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        page.on("request", (request) => {
            if (request.url() !== current.url) current.requests.push(request.url());
        });
        page.on("dialog", (dialog) => {
            current.problems.push(`dialog: ${dialog.message()}`);
            void dialog.dismiss();
        });
        // A blocked load or script shows as an error in the console (a CSP violation, say).
        page.on("console", (message) => {
            if (message.type() === "error") current.problems.push(`console: ${message.text()}`);
        });
        page.on("pageerror", (error) => current.problems.push(`page error: ${error.message}`));
        // Every request but the file itself is refused.
        await page.route("**/*", (route) => (route.request().url() === current.url ? route.continue() : route.abort()));
    });
    after(async () => {
        // Every run ended (their workers closed) before the suite does, even when a test failed first.
        if (runs !== undefined) await Promise.allSettled(Object.values(runs));
        await browser?.close();
        if (folder !== undefined) fs.rmSync(folder, { recursive: true, force: true });
    });

    /**
     * Opens `html`, written to a file, in the page, with every request recorded and every one but
     * the file itself refused; what the page did is the returned record's, until the next open.
     */
    async function open(html: string, name: string): Promise<{ page: Page; requests: string[]; problems: string[] }> {
        const file = path.join(folder, `${name}.html`);
        fs.writeFileSync(file, html);
        const opened = { url: `file://${file}`, requests: [], problems: [] };
        current = opened;
        await page.goto(opened.url, { waitUntil: "load" });
        if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
        return { page, requests: opened.requests, problems: opened.problems };
    }

    /** What the page shows of each state: its status attribute and the fill its box is painted. */
    async function shownStatuses(page: Page): Promise<Record<string, { status: string; fill: string }>> {
        const shown: Record<string, { status: string; fill: string }> = {};
        for (const state of await page.locator("g.state").all()) {
            const name = String(await state.getAttribute("data-state"));
            const fill = await state
                .locator("rect")
                .evaluate((rect) => (globalThis as unknown as BrowserWindow).getComputedStyle(rect).fill);
            shown[name] = { status: String(await state.getAttribute("data-status")), fill: String(fill) };
        }
        return shown;
    }

    const expected = (statuses: Partial<Record<string, StateStatus>>) =>
        Object.fromEntries(
            Object.values(S).map((name) => {
                const status = statuses[name] ?? STATE_STATUS.notReached;
                return [name, { status, fill: rgb(STATUS_STYLE[status].fill) }];
            }),
        );

    async function assertCommon(opened: Awaited<ReturnType<typeof open>>, view: ExecutionView) {
        const { page, requests, problems } = opened;
        assert.deepEqual(requests, [], "the page loads nothing");
        assert.deepEqual(problems, [], "no dialog, no blocked load, no script error");
        assert.equal(await page.locator("script").count(), 0, "the page holds no script");
        assert.equal(await page.locator("img").count(), 0, "nor any image");
        assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content"), PAGE_CSP);
        // The table: one row per history event, in order.
        const types = await page.locator("table.events tbody tr td:nth-child(2)").allTextContents();
        assert.deepEqual(
            types,
            view.history.map((r) => r.type),
        );
        assert.equal(await page.locator("#status").textContent(), view.status);
        // Shown: every state's box and the table take room on the page, and neither they nor what
        // holds them is hidden, transparent or not displayed (what the screenshot used to show).
        // (No function declared inside: tsx names functions with a helper the page does not have.)
        const shown = await page.locator("g.state rect, table.events").evaluateAll((elements) =>
            elements.map((element) => {
                const { width, height } = (element as Shown).getBoundingClientRect();
                const view = globalThis as unknown as { getComputedStyle(node: Shown): ShownStyle };
                let hidden = "";
                for (let node: Shown | null = element as Shown; node !== null && hidden === ""; node = node.parentElement) {
                    const { visibility, display, opacity } = view.getComputedStyle(node);
                    if (visibility !== "visible" || display === "none" || Number(opacity) === 0)
                        hidden = `${visibility} ${display} ${opacity}`;
                }
                return { width, height, hidden };
            }),
        );
        assert.ok(shown.length > 1, "states and a table to show");
        assert.ok(
            shown.every(({ width, height, hidden }) => width > 0 && height > 0 && hidden === ""),
            JSON.stringify(shown),
        );
    }

    it("a succeeded run: the path in green, the rest not reached; hostile input shown as text, nothing run or loaded", async () => {
        const { view, definition } = await runs.success;
        const opened = await open(renderExecutionPage({ view, definition }), "succeeded");
        await assertCommon(opened, view);
        const { page } = opened;
        assert.deepEqual(
            await shownStatuses(page),
            expected({ [S.waitForCallback]: STATE_STATUS.succeeded, [S.notifySuccess]: STATE_STATUS.succeeded }),
        );
        assert.equal(await page.title(), `Execution ${view.name}: SUCCEEDED`, "no script changed the title");
        assert.ok(
            (await page.locator("#input").textContent())?.includes(JSON.stringify(HOSTILE).slice(1, -1)),
            "the input is shown as text",
        );
        assert.ok((await page.locator("#queued-message").textContent())?.includes("Waiting for callback"));
        assert.equal(await page.locator(".notification pre").textContent(), view.notifications[0].message);
        assert.equal(await page.locator(`path.edge--taken`).count(), 1);
    });

    it("a failed task that was caught: the wait caught, the notify and the choice succeeded, the Fail state failed", async () => {
        const { view, definition } = await runs.failure;
        const opened = await open(renderExecutionPage({ view, definition }), "caught");
        await assertCommon(opened, view);
        assert.deepEqual(
            await shownStatuses(opened.page),
            expected({
                [S.waitForCallback]: STATE_STATUS.caught,
                [S.notifyFailure]: STATE_STATUS.succeeded,
                [S.checkFailure]: STATE_STATUS.succeeded,
                [S.failWithCause]: STATE_STATUS.failed,
            }),
        );
        const caughtEdge = opened.page.locator(`path.edge--catch[data-from="${S.waitForCallback}"]`);
        assert.match(String(await caughtEdge.getAttribute("class")), /edge--taken/, "the Catch is the transition taken");
        assert.equal(await opened.page.locator("#error").textContent(), view.error);
    });

    it("a timed-out task: caught the same way, TaskTimedOut in the table", async () => {
        const { view, definition } = await runs.timeout;
        const opened = await open(renderExecutionPage({ view, definition }), "timed-out");
        await assertCommon(opened, view);
        assert.ok(view.history.some((r) => r.type === "TaskTimedOut"));
        assert.equal((await shownStatuses(opened.page))[S.waitForCallback].status, STATE_STATUS.caught);
        assert.equal(
            await opened.page.locator("tr.event--failed").count(),
            view.history.filter((r) => /TimedOut|Failed$/.test(r.type)).length,
        );
    });

    it("an execution that timed out as a whole: the state it was in failed, the status TIMED_OUT", async () => {
        const definition = buildCallbackDefinition({
            partition: "aws",
            queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
            topicArn: "arn:aws:sns:eu-west-1:123456789012:notifications",
            taskTimeoutSeconds: 300,
        });
        const view: ExecutionView = {
            name: "timed-out",
            source: "test",
            status: "TIMED_OUT",
            input: {},
            error: "States.Timeout",
            events: [],
            history: rows(
                ["ExecutionStarted"],
                ["TaskStateEntered", S.waitForCallback],
                ["TaskSubmitted", S.waitForCallback],
                ["ExecutionTimedOut"],
            ),
            notifications: [],
        };
        const opened = await open(renderExecutionPage({ view, definition }), "execution-timed-out");
        await assertCommon(opened, view);
        assert.deepEqual(await shownStatuses(opened.page), expected({ [S.waitForCallback]: STATE_STATUS.failed }));
        assert.equal(await opened.page.locator("#error").textContent(), "States.Timeout");
    });

    it("a running execution with AWS-shaped events: in progress, details in the table; no definition: the reason instead", async () => {
        const definition = buildCallbackDefinition({
            partition: "aws",
            queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
            topicArn: "arn:aws:sns:eu-west-1:123456789012:notifications",
            taskTimeoutSeconds: 300,
        });
        const view = {
            name: "running",
            source: "test",
            status: "RUNNING" as const,
            input: {},
            history: rows(["ExecutionStarted"], ["TaskStateEntered", S.waitForCallback], ["TaskScheduled", S.waitForCallback]),
            notifications: [],
            events: [
                {
                    id: 3,
                    timestamp: new Date(0),
                    type: "TaskScheduled" as const,
                    taskScheduledEventDetails: {
                        resourceType: "sqs",
                        resource: "sendMessage",
                        region: "eu-west-1",
                        parameters: `{"Note":"${"<b>"}"}`,
                    },
                },
            ],
        };
        const opened = await open(renderExecutionPage({ view, definition }), "running");
        await assertCommon(opened, view);
        assert.equal((await shownStatuses(opened.page))[S.waitForCallback].status, STATE_STATUS.inProgress);
        assert.match(String(await opened.page.locator('tr[data-id="3"] .details').textContent()), /"resourceType": "sqs"[\s\S]*<b>/);

        const without = await open(
            renderExecutionPage({ view, graphMissing: "DescribeStateMachineForExecution failed: AccessDenied" }),
            "no-graph",
        );
        assert.equal(await without.page.locator("g.state").count(), 0);
        assert.equal(
            await without.page.locator("#graph-missing").textContent(),
            "No graph: DescribeStateMachineForExecution failed: AccessDenied.",
        );
        assert.equal(await without.page.locator("table.events tbody tr").count(), view.history.length);
    });
});

describe("npm start -- --html FILE", function () {
    this.timeout(90_000);
    // In this process: what it prints and the page it writes are the command's, not the process's
    // (npm start's exit codes as the shell sees them: cli-process.test.ts).
    const start = (args: string[]) => runInProcess("commands/start.ts", args);

    it("writes the page and still prints the text to stdout", async () => {
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "html-cli-"));
        try {
            const file = path.join(folder, "run.html");
            const { code, stdout, stderr } = await start(["--name", "html-cli", "--html", file]);
            assert.equal(code, 0, stderr);
            assert.match(stdout, /^Execution html-cli: SUCCEEDED/);
            assert.match(stderr, /page written to /);
            const page = fs.readFileSync(file, "utf8");
            assert.match(page, /^<!doctype html>/);
            assert.match(page, new RegExp(`data-state="${S.notifySuccess}" data-status="${STATE_STATUS.succeeded}"`));
            assert.deepEqual(fs.readdirSync(folder), ["run.html"], "no temporary file left");
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });

    it("a path it cannot write, or --html with many executions, exits 2 before the run", async () => {
        const cases = [
            [
                ["--html", "/nonexistent-folder/run.html"],
                /^error: --html \/nonexistent-folder\/run\.html: the folder \/nonexistent-folder does not exist\n/,
            ],
            [["--html", os.tmpdir()], /is a folder; give a file name/],
            [["--html", path.join(os.tmpdir(), "x.html"), "--executions", "2"], /--html draws one execution/],
        ] as const;
        const results = await Promise.all(cases.map(([args]) => start([...args])));
        results.forEach(({ code, stdout, stderr }, i) => {
            assert.equal(code, 2, stderr);
            assert.equal(stdout, "");
            assert.match(stderr, cases[i][1]);
            assert.doesNotMatch(stderr, /^\s+at /m);
        });
    });
});
