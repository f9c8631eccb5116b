/**
 * The commands' input and output as a shell uses them: `-h`, the execution input from standard
 * input (`--input-file -`, bounded), and a reader that goes away before the output is written.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_INPUT, EMPTY_INPUT, fromInvocationDir, MAX_INPUT_FILE_BYTES, unwritableOutput } from "../commands/cli";
import { EXECUTION_USAGE } from "../commands/execution-args";
import { START_USAGE } from "../commands/start-args";
import { TYPESCRIPT_NODE_ARGS } from "./support/typescript-child";

const ROOT = path.resolve(__dirname, "..");
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

function command(script: string, args: string[], stdin?: string | Buffer, env: NodeJS.ProcessEnv = process.env) {
    const result = spawnSync(process.execPath, [...TYPESCRIPT_NODE_ARGS, script, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        input: stdin,
        env,
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the commands' input and output", () => {
    it("reads and writes relative paths from the folder npm was run in (INIT_CWD), not the project root", () => {
        const here = fs.mkdtempSync(path.join(os.tmpdir(), "invoked-here-"));
        try {
            assert.equal(fromInvocationDir("order.json", { INIT_CWD: here }), path.join(here, "order.json"));
            assert.equal(fromInvocationDir("/abs/order.json", { INIT_CWD: here }), "/abs/order.json");
            fs.writeFileSync(path.join(here, "order.json"), '{"order": "from the invocation folder"}');
            const env = { ...process.env, INIT_CWD: here };
            const { code, stdout, stderr } = command(
                "commands/start.ts",
                ["--json", "--input-file", "order.json", "--html", "page.html"],
                undefined,
                env,
            );
            assert.equal(code, 0, stderr);
            assert.deepEqual((JSON.parse(stdout) as { execution: { input: unknown } }).execution.input, {
                order: "from the invocation folder",
            });
            assert.ok(fs.statSync(path.join(here, "page.html")).isFile(), "the page is written beside the input");
            assert.ok(!fs.existsSync(path.join(ROOT, "page.html")));
        } finally {
            fs.rmSync(here, { recursive: true, force: true });
        }
    });

    it("-h prints the usage, as --help does, and reads nothing", () => {
        for (const [script, usage] of [
            ["commands/start.ts", START_USAGE],
            ["commands/execution.ts", EXECUTION_USAGE],
        ] as const) {
            // With -h, standard input is not read: its text, not JSON, would be an error.
            const { code, stdout, stderr } = command(script, ["-h", "--input-file", "-"], "not JSON");
            assert.equal(code, 0, stderr);
            assert.equal(stdout, `${usage}\n`);
        }
    });

    it("--input-file - reads the execution input from standard input", () => {
        const { code, stdout, stderr } = command(
            "commands/start.ts",
            ["--json", "--input-file", "-"],
            '\ufeff{"order": 5, "from": "stdin"}\n',
        );
        assert.equal(code, 0, stderr);
        const { execution } = JSON.parse(stdout) as { execution: { input: unknown; status: string } };
        assert.deepEqual(execution.input, { order: 5, from: "stdin" });
        assert.notDeepEqual(execution.input, DEFAULT_INPUT);
    });

    it("refuses standard input past the input limit without reading it all, and bytes that are not UTF-8", () => {
        const big = command("commands/start.ts", ["--input-file", "-"], `"${"x".repeat(MAX_INPUT_FILE_BYTES)}"`);
        assert.equal(big.code, 2, big.stderr);
        assert.match(big.stderr, new RegExp(`^error: --input-file - \\(standard input\\) holds more than ${MAX_INPUT_FILE_BYTES} bytes`));
        // Nothing piped in (a CI step without input, a closed standard input): said as such, not as a JSON error.
        const empty = command("commands/start.ts", ["--input-file", "-"], "\ufeff \n");
        assert.equal(empty.code, 2);
        assert.equal(empty.stderr.split("\n")[0], `error: --input-file - (standard input) ${EMPTY_INPUT}`);
        const binary = command("commands/start.ts", ["--input-file", "-"], Buffer.from([0x22, 0xff, 0xfe, 0x22]));
        assert.equal(binary.code, 2);
        assert.match(binary.stderr, /^error: --input-file - \(standard input\) is not UTF-8 text/);
        assert.doesNotMatch(big.stderr + empty.stderr + binary.stderr, STACK_TRACE);
    });

    it("an output that cannot be written (a full disk: /dev/full) is named on stderr and exits 1, even for -h", () => {
        const full = fs.openSync("/dev/full", "w");
        try {
            for (const script of ["commands/start.ts", "commands/execution.ts"]) {
                const result = spawnSync(process.execPath, [...TYPESCRIPT_NODE_ARGS, script, "-h"], {
                    cwd: ROOT,
                    encoding: "utf8",
                    stdio: ["ignore", full, "pipe"],
                    timeout: 60_000,
                });
                assert.equal(result.status, 1, `${script}: ${result.stderr}`);
                assert.equal(result.stderr, `error: ${unwritableOutput("ENOSPC")}\n`, script);
            }
        } finally {
            fs.closeSync(full);
        }
    });

    it("exits quietly when the reader of its output goes away (| head, | true)", async function () {
        this.timeout(60_000);
        const child = spawn(process.execPath, [...TYPESCRIPT_NODE_ARGS, "commands/start.ts", "--json", "--executions", "3"], {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.destroy(); // the reader is gone before anything was written
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.on("close", (status) => resolve(status)));
        assert.equal(code, 0, stderr);
        assert.doesNotMatch(stderr, /EPIPE|Error/);
        assert.doesNotMatch(stderr, STACK_TRACE);
    });
});
