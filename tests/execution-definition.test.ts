/**
 * `--html FILE`'s parts outside the page: the definition of a deployed execution, fetched with a
 * real SDK client from a fake Step Functions service on loopback (answering, failing, hanging,
 * answering nonsense), and the page file (checked before the run, written whole).
 */
import { strict as assert } from "node:assert";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CliError } from "../commands/cli";
import { fetchExecutionDefinition, writeDeployedExecutionPage } from "../commands/execution-definition";
import { createExecutionClient } from "../commands/deployed-execution";
import { checkHtmlPath, NOT_A_FILE, writePageFile } from "../commands/page-file";
import { TYPESCRIPT_NODE_ARGS } from "./support/typescript-child";

const ROOT = path.resolve(__dirname, "..");
const STATE_MACHINE_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:machine";
const EXECUTION_ARN = "arn:aws:states:eu-west-1:123456789012:execution:machine:run-1";
const DEFINITION = { StartAt: "Only", States: { Only: { Type: "Pass", End: true } } };

type Answer = "definition" | "error" | "hang" | "not-json" | "html";

const STARTED = 1_700_000_000;
/** What the fake service answers for the execution's other calls: one that succeeded in a Pass state. */
const EXECUTION_ANSWERS: Record<string, unknown> = {
    StartExecution: { executionArn: EXECUTION_ARN, startDate: STARTED },
    DescribeExecution: { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, status: "SUCCEEDED", startDate: STARTED },
    GetExecutionHistory: {
        events: [
            { id: 1, type: "ExecutionStarted", timestamp: STARTED, executionStartedEventDetails: { input: "{}" } },
            {
                id: 2,
                previousEventId: 1,
                type: "PassStateEntered",
                timestamp: STARTED,
                stateEnteredEventDetails: { name: "Only", input: "{}" },
            },
            {
                id: 3,
                previousEventId: 2,
                type: "PassStateExited",
                timestamp: STARTED,
                stateExitedEventDetails: { name: "Only", output: "{}" },
            },
            { id: 4, previousEventId: 3, type: "ExecutionSucceeded", timestamp: STARTED, executionSucceededEventDetails: { output: "{}" } },
        ],
    },
};

/** A Step Functions service on loopback that answers DescribeStateMachineForExecution as told. */
async function fakeService(answer: Answer) {
    const targets: string[] = [];
    const hung: http.ServerResponse[] = [];
    const server = http.createServer((request, response) => {
        targets.push(String(request.headers["x-amz-target"]));
        request.resume();
        request.on("end", () => {
            if (answer === "hang") return void hung.push(response);
            const json = (status: number, body: unknown) => {
                response.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
                response.end(JSON.stringify(body));
            };
            const operation = String(request.headers["x-amz-target"]).split(".")[1];
            if (operation !== "DescribeStateMachineForExecution") json(200, EXECUTION_ANSWERS[operation] ?? {});
            else if (answer === "html") {
                response.writeHead(502, { "content-type": "text/html" });
                response.end("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
            } else if (answer === "error") json(400, { __type: "com.amazonaws.sfn#ExecutionDoesNotExist", message: "no such execution" });
            else json(200, { name: "machine", definition: answer === "definition" ? JSON.stringify(DEFINITION) : "{not json" });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    // The command's own client (it keeps the bodies that are not JSON), with one attempt per call.
    const client = createExecutionClient({
        region: "eu-west-1",
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKeyId: "AKIDLOOPBACK", secretAccessKey: "loopback" },
        maxAttempts: 1,
    });
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        client,
        targets,
        close: async () => {
            client.destroy();
            for (const response of hung) response.destroy();
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
        },
    };
}

describe("the definition of a deployed execution (commands/execution-definition.ts)", () => {
    it("is fetched with DescribeStateMachineForExecution and parsed", async () => {
        const service = await fakeService("definition");
        try {
            assert.deepEqual(await fetchExecutionDefinition(service.client, EXECUTION_ARN), { definition: DEFINITION });
            assert.deepEqual(service.targets, ["AWSStepFunctions.DescribeStateMachineForExecution"]);
        } finally {
            await service.close();
        }
    });

    it("a hung call gives up at its time limit and says so", async () => {
        const service = await fakeService("hang");
        try {
            const started = Date.now();
            const found = await fetchExecutionDefinition(service.client, EXECUTION_ARN, 300);
            assert.ok(Date.now() - started < 3000, "it did not wait for the hung call");
            assert.deepEqual(found, { missing: "DescribeStateMachineForExecution got no answer within 0.3 s (retries included)" });
        } finally {
            await service.close();
        }
    });

    it("a refused call, a proxy's error page or a definition that is not JSON is a reason, worded as npm run execution words it", async () => {
        for (const [answer, reason] of [
            ["error", /^DescribeStateMachineForExecution failed: ExecutionDoesNotExist \(HTTP 400\): no such execution$/],
            [
                "html",
                /^DescribeStateMachineForExecution failed: HTTP 502 with a body that is not Step Functions' JSON \(text\/html\): "502 Bad Gateway"$/,
            ],
            ["not-json", /not JSON/],
        ] as const) {
            const service = await fakeService(answer);
            try {
                const found = await fetchExecutionDefinition(service.client, EXECUTION_ARN);
                assert.ok("missing" in found, answer);
                assert.match(found.missing, reason);
            } finally {
                await service.close();
            }
        }
    });

    it("without the definition the page is still written, with the table and the reason", async () => {
        const service = await fakeService("error");
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "html-page-"));
        try {
            const file = path.join(folder, "page.html");
            const view = {
                name: "run-1",
                source: "test",
                status: "SUCCEEDED" as const,
                input: {},
                events: [],
                history: [{ id: 1, type: "ExecutionStarted", elapsedMs: 0 }],
                notifications: [],
            };
            await writeDeployedExecutionPage({ client: service.client, executionArn: EXECUTION_ARN, view, file });
            const page = fs.readFileSync(file, "utf8");
            assert.match(page, /id="graph-missing">No graph: DescribeStateMachineForExecution failed: ExecutionDoesNotExist/);
            assert.match(page, /<tr class="event" data-id="1">/);
        } finally {
            await service.close();
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});

describe("npm run execution -- --html FILE", function () {
    this.timeout(90_000);

    /** The command as a user runs it, its Step Functions calls sent to the fake service. */
    function execution(url: string, args: string[]) {
        return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
            execFile(
                process.execPath,
                [...TYPESCRIPT_NODE_ARGS, "commands/execution.ts", "--state-machine-arn", STATE_MACHINE_ARN, "--name", "run-1", ...args],
                {
                    cwd: ROOT,
                    timeout: 60_000,
                    env: {
                        ...process.env,
                        AWS_ENDPOINT_URL_SFN: url,
                        AWS_ACCESS_KEY_ID: "AKIDLOOPBACK",
                        AWS_SECRET_ACCESS_KEY: "loopback",
                        AWS_EC2_METADATA_DISABLED: "true",
                    },
                },
                (error, stdout, stderr) =>
                    resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }),
            );
        });
    }

    for (const [answer, graph] of [
        ["definition", /data-state="Only" data-status="succeeded"/],
        ["error", /id="graph-missing">No graph: DescribeStateMachineForExecution failed: ExecutionDoesNotExist/],
    ] as const) {
        it(`writes the page (${answer === "definition" ? "with the graph of the definition the execution ran" : "without a graph when the definition cannot be had"}) and prints the text`, async () => {
            const service = await fakeService(answer);
            const folder = fs.mkdtempSync(path.join(os.tmpdir(), "html-execution-"));
            try {
                const file = path.join(folder, "run.html");
                const { code, stdout, stderr } = await execution(service.url, ["--html", file]);
                assert.equal(code, 0, stderr);
                assert.match(stdout, /^Execution run-1: SUCCEEDED/);
                assert.match(fs.readFileSync(file, "utf8"), graph);
                assert.equal(service.targets.filter((t) => t.endsWith("DescribeStateMachineForExecution")).length, 1);
            } finally {
                await service.close();
                fs.rmSync(folder, { recursive: true, force: true });
            }
        });
    }

    it("a bad --html path exits 2 before any call", async () => {
        const service = await fakeService("definition");
        try {
            const { code, stdout, stderr } = await execution(service.url, ["--html", "/nonexistent-folder/run.html"]);
            assert.equal(code, 2);
            assert.equal(stdout, "");
            assert.match(stderr, /^error: --html \/nonexistent-folder\/run\.html: the folder \/nonexistent-folder does not exist\n/);
            assert.deepEqual(service.targets, []);
        } finally {
            await service.close();
        }
    });
});

describe("the --html file (commands/page-file.ts)", () => {
    let folder: string;
    beforeEach(() => (folder = fs.mkdtempSync(path.join(os.tmpdir(), "html-file-"))));
    afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

    it("a path it cannot write is refused before the run, naming what is wrong", () => {
        const cases: [string, RegExp][] = [
            ["", /--html needs a file name/],
            [path.join(folder, "missing", "page.html"), /the folder .*missing does not exist/],
            [folder, /is a folder; give a file name/],
        ];
        fs.writeFileSync(path.join(folder, "file"), "");
        cases.push([path.join(folder, "file", "page.html"), /is not a folder/]);
        for (const [file, message] of cases) {
            assert.throws(
                () => checkHtmlPath(file),
                (error: unknown) => error instanceof CliError && message.test(error.message),
                file,
            );
        }
        assert.equal(checkHtmlPath(path.join(folder, "page.html")), path.join(folder, "page.html"));
    });

    it("a path that is not a regular file (a device, a FIFO) is refused, never replaced", () => {
        // Written as root, a rename over /dev/null would put a page where the device was.
        const fifo = path.join(folder, "fifo.html");
        execFileSync("mkfifo", [fifo]);
        for (const file of ["/dev/null", fifo]) {
            assert.throws(
                () => checkHtmlPath(file),
                (error: unknown) => error instanceof CliError && error.message === `--html ${file}: ${NOT_A_FILE}`,
                file,
            );
            assert.throws(() => writePageFile(file, "page"), CliError, file);
        }
        assert.ok(fs.statSync("/dev/null").isCharacterDevice());
        assert.ok(fs.lstatSync(fifo).isFIFO());
    });

    it("a link is followed: the page is written where it points, and the link stays", () => {
        fs.mkdirSync(path.join(folder, "site"));
        const target = path.join(folder, "site", "page.html");
        const link = path.join(folder, "link.html");
        fs.symlinkSync(target, link); // dangling until the first page
        assert.equal(checkHtmlPath(link), target);
        writePageFile(link, "first");
        writePageFile(link, "second");
        assert.ok(fs.lstatSync(link).isSymbolicLink());
        assert.equal(fs.readFileSync(target, "utf8"), "second");
        assert.deepEqual(fs.readdirSync(path.join(folder, "site")), ["page.html"]);
        const nowhere = path.join(folder, "nowhere.html");
        fs.symlinkSync(path.join(folder, "missing", "page.html"), nowhere);
        assert.throws(() => checkHtmlPath(nowhere), /the folder .*missing does not exist/);
    });

    it("a file name near the longest a folder takes (255 bytes) is written: the temporary name beside it stays short", () => {
        const file = path.join(folder, `${"p".repeat(250)}.html`);
        assert.equal(checkHtmlPath(file), file);
        writePageFile(file, "page");
        assert.equal(fs.readFileSync(file, "utf8"), "page");
        assert.deepEqual(fs.readdirSync(folder), [path.basename(file)]);
    });

    it("is written whole, over the old page, and leaves no temporary file", () => {
        const file = path.join(folder, "page.html");
        fs.writeFileSync(file, "old");
        writePageFile(file, "<!doctype html>new");
        assert.equal(fs.readFileSync(file, "utf8"), "<!doctype html>new");
        assert.deepEqual(fs.readdirSync(folder), ["page.html"]);
    });

    it("a failed write removes its temporary file and says why, as a failure of the run (exit 1), not of the flag", () => {
        const file = path.join(folder, "page.html");
        fs.mkdirSync(file); // a folder in the way: the rename fails after the temporary file was written
        assert.throws(
            () => writePageFile(file, "new"),
            // The path was checked before the run: what fails after it (a full disk, a folder
            // removed meanwhile) is not the user's input, so not a CliError (exit code 2).
            (error: unknown) =>
                error instanceof Error && !(error instanceof CliError) && /^cannot write --html .*page\.html: E/.test(error.message),
        );
        assert.deepEqual(fs.readdirSync(folder), ["page.html"]);
    });
});
