/**
 * `--html FILE`'s parts outside the page: the definition of a deployed execution, fetched with a
 * real SDK client from a fake Step Functions service on loopback (answering, failing, hanging,
 * answering nonsense), and the page file (checked before the run, written whole).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { CliError } from "../commands/cli";
import { fetchExecutionDefinition, writeDeployedExecutionPage } from "../commands/execution-definition";
import { checkHtmlPath, writePageFile } from "../commands/page-file";
import { loopbackClient } from "./support/loopback-client";

const EXECUTION_ARN = "arn:aws:states:eu-west-1:123456789012:execution:machine:run-1";
const DEFINITION = { StartAt: "Only", States: { Only: { Type: "Pass", End: true } } };

type Answer = "definition" | "error" | "hang" | "not-json";

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
            if (answer === "error") json(400, { __type: "com.amazonaws.sfn#ExecutionDoesNotExist", message: "no such execution" });
            else json(200, { name: "machine", definition: answer === "definition" ? JSON.stringify(DEFINITION) : "{not json" });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = loopbackClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { maxAttempts: 1 });
    return {
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
            assert.deepEqual(found, { missing: "DescribeStateMachineForExecution did not answer within 0.3 s" });
        } finally {
            await service.close();
        }
    });

    it("a refused call or a definition that is not JSON is a reason, not a failure", async () => {
        for (const [answer, reason] of [
            ["error", /^DescribeStateMachineForExecution failed: ExecutionDoesNotExist: no such execution$/],
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

    it("is written whole, over the old page, and leaves no temporary file", () => {
        const file = path.join(folder, "page.html");
        fs.writeFileSync(file, "old");
        writePageFile(file, "<!doctype html>new");
        assert.equal(fs.readFileSync(file, "utf8"), "<!doctype html>new");
        assert.deepEqual(fs.readdirSync(folder), ["page.html"]);
    });

    it("a failed write removes its temporary file and says why", () => {
        const file = path.join(folder, "page.html");
        fs.mkdirSync(file); // a folder in the way: the rename fails after the temporary file was written
        assert.throws(
            () => writePageFile(file, "new"),
            (error: unknown) => error instanceof CliError && /cannot write --html .*page\.html: E/.test(error.message),
        );
        assert.deepEqual(fs.readdirSync(folder), ["page.html"]);
    });
});
