/**
 * The commands' input and output as a shell uses them: `-h`, the execution input from a file or
 * standard input (`--input-file`, bounded in size and time, read by commands/input-file.ts), and a
 * reader that goes away before the output is written.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { CliError, DEFAULT_INPUT, fromInvocationDir, unwritableOutput } from "../commands/cli";
import { EXECUTION_USAGE, parseExecutionArgs } from "../commands/execution-args";
import {
    DEFAULT_INPUT_TIMEOUT_SECONDS,
    EXECUTION_INPUT_HOLDS,
    INPUT_FILE_FLAG,
    INPUT_TIMEOUT_FLAG,
    MAX_INPUT_BYTES,
    MAX_INPUT_TIMEOUT_SECONDS,
    readExecutionInput,
} from "../commands/execution-input";
import { emptyInput, FRAMING_BYTES, NOT_READABLE_SOCKET } from "../commands/input-file";
import { inputSources as sources } from "./support/input-sources";
import { parseStartArgs, readStartInput, START_USAGE } from "../commands/start-args";
import { SCENARIOS } from "../local/scenarios";
import { STACK_TRACE_LINE, runInProcess, runTypeScript, type ProcessOptions, type ProcessResult } from "./support/processes";
import { sideBySide } from "./support/side-by-side";
import { TYPESCRIPT_NODE_ARGS } from "./support/typescript-child";

const ROOT = path.resolve(__dirname, "..");

/** Runs a command of the project in a process of its own. */
const command = (script: string, args: string[], options: ProcessOptions = {}) => runTypeScript(script, args, options);

/** The message of the CliError that `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<string> {
    let message = "";
    await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof CliError, String(error));
        message = error.message;
        return true;
    });
    return message;
}

/** How the reader says that `what` did not end within `seconds` (s), the flag that gives it longer named. */
const notEnded = (what: string, seconds: string) =>
    `${what} did not end within ${seconds} s (nothing written to it, or no end of input?); ${INPUT_TIMEOUT_FLAG} N gives it longer`;
/**
 * The message of a read given 0.3 s: it says the time left when the read began, which a busy
 * machine (a parallel test run) can make 0.2 s by the time the read starts.
 */
const shortNotEnded = (message: string, what: string) => {
    assert.match(message, / within 0\.[23] s /);
    return message.replace(/ within 0\.[23] s /, " within 0.3 s ") === notEnded(what, "0.3");
};

/** The scripts that print their usage with -h. */
const USAGES = [
    ["commands/start.ts", START_USAGE],
    ["commands/execution.ts", EXECUTION_USAGE],
] as const;
/** The scripts whose -h output goes to a full disk. */
const FULL_DISK_SCRIPTS = ["commands/start.ts", "commands/execution.ts"] as const;

/** `npm start -- --input-file - --input-timeout-seconds 1` with a writer that never ends its input. */
async function startWithEndlessPipe(): Promise<Omit<ProcessResult, "ms">> {
    const child = spawn(process.execPath, [...TYPESCRIPT_NODE_ARGS, "commands/start.ts", "--input-file", "-", INPUT_TIMEOUT_FLAG, "1"], {
        cwd: ROOT,
        stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdin.write("{"); // a writer that never ends its input
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Bounded: a command that hangs is killed, and the test's assertion on the exit code says so.
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", (status) => resolve(status)));
    clearTimeout(kill);
    child.stdin.destroy();
    return { code, stdout, stderr };
}

/** `npm start` whose reader of standard output is gone before anything was written (`| head`, `| true`). */
async function startWithReaderGone(): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [...TYPESCRIPT_NODE_ARGS, "commands/start.ts", "--json", "--executions", "3"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy(); // the reader is gone before anything was written
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", (status) => resolve(status)));
    return { code, stderr };
}

/** Each script's -h with its standard output on a full disk (/dev/full). */
async function usageToFullDisk(): Promise<ProcessResult[]> {
    const full = fs.openSync("/dev/full", "w");
    try {
        return await Promise.all(FULL_DISK_SCRIPTS.map((script) => command(script, ["-h"], { stdout: full })));
    } finally {
        fs.closeSync(full);
    }
}

describe("the commands' input and output", () => {
    // The commands in processes of their own: mostly a process's start and a 1 s input timeout,
    // waiting rather than CPU; started together, the file takes about the longest one's time.
    const processes = sideBySide({
        // With -h, standard input is not read: its text, not JSON, would be an error.
        usage: () => Promise.all(USAGES.map(([script]) => command(script, ["-h", "--input-file", "-"], { stdin: "not JSON" }))),
        stdin: () => command("commands/start.ts", ["--json", "--input-file", "-"], { stdin: '\ufeff{"order": 5, "from": "stdin"}\n' }),
        endlessPipe: startWithEndlessPipe,
        fullDisk: usageToFullDisk,
        readerGone: startWithReaderGone,
    });

    it("reads and writes relative paths from the folder npm was run in (INIT_CWD), not the project root", async () => {
        const here = fs.mkdtempSync(path.join(os.tmpdir(), "invoked-here-"));
        try {
            assert.equal(fromInvocationDir("order.json", { INIT_CWD: here }), path.join(here, "order.json"));
            assert.equal(fromInvocationDir("/abs/order.json", { INIT_CWD: here }), "/abs/order.json");
            fs.writeFileSync(path.join(here, "order.json"), '{"order": "from the invocation folder"}');
            // In this process: the command reads INIT_CWD when it runs, as npm sets it for the process.
            const { code, stdout, stderr } = await runInProcess(
                "commands/start.ts",
                ["--json", "--input-file", "order.json", "--html", "page.html"],
                {
                    env: { INIT_CWD: here },
                },
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

    it("-h prints the usage, as --help does, and reads nothing", async () => {
        const results = await processes.usage();
        results.forEach(({ code, stdout, stderr }, i) => {
            assert.equal(code, 0, stderr);
            assert.equal(stdout, `${USAGES[i][1]}\n`);
        });
    });

    it("--input-file - reads the execution input from standard input", async () => {
        const { code, stdout, stderr } = await processes.stdin();
        assert.equal(code, 0, stderr);
        const { execution } = JSON.parse(stdout) as { execution: { input: unknown; status: string } };
        assert.deepEqual(execution.input, { order: 5, from: "stdin" });
        assert.notDeepEqual(execution.input, DEFAULT_INPUT);
    });

    it("refuses standard input past the input limit without reading it all, nothing but whitespace, and bytes that are not UTF-8", async () => {
        const stdin = `${INPUT_FILE_FLAG} - (standard input)`;
        const read = (data: string | Buffer) => readExecutionInput({ inputFile: "-" }, Date.now() + 5000, sources(Readable.from([data])));
        const big = await refusal(read(`"${"x".repeat(MAX_INPUT_BYTES + FRAMING_BYTES)}"`));
        assert.match(big, new RegExp(`^${stdin.replace(/[()]/g, "\\$&")} holds more than ${MAX_INPUT_BYTES + FRAMING_BYTES} bytes`));
        // The bound the user must meet, with its unit: the figure above counts the framing bytes too.
        assert.ok(big.endsWith(`; an execution input holds at most ${MAX_INPUT_BYTES} bytes`), big);
        // Nothing piped in (a CI step without input, a closed standard input): said as such, not as a JSON error.
        assert.equal(await refusal(read("\ufeff \n")), `${stdin} ${emptyInput(EXECUTION_INPUT_HOLDS)}`);
        assert.equal(await refusal(read(Buffer.from([0x22, 0xff, 0xfe, 0x22]))), `${stdin} is not UTF-8 text (binary data?)`);
    });

    it("refuses a socket by name: it cannot be opened as a file, and is no pipe", async function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-socket-"));
        const socketPath = path.join(dir, "input.sock");
        const server = net.createServer().listen(socketPath);
        try {
            await once(server, "listening");
            const options = parseStartArgs(["--input-file", socketPath]);
            assert.equal(await refusal(readStartInput(options)), `${INPUT_FILE_FLAG} ${socketPath} ${NOT_READABLE_SOCKET}`);
        } finally {
            server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("parsing reads nothing: --input-file is only named, and read when the run starts", async () => {
        const missing = path.join(os.tmpdir(), `missing-${process.pid}.json`);
        const options = parseStartArgs(["--input-file", missing, "--scenario", "failure"]);
        assert.equal(options.inputFile, missing);
        assert.equal(options.inputTimeoutSeconds, DEFAULT_INPUT_TIMEOUT_SECONDS);
        assert.equal(await refusal(readStartInput(options)), `cannot read ${INPUT_FILE_FLAG} ${missing}: ENOENT`);
        assert.equal(parseExecutionArgs(["--input-file", "-"]).inputFile, "-");
        assert.throws(
            () => parseStartArgs(["--input-file", ""]),
            /^CliError: --input-file is empty; give a path, or - for standard input$/,
        );
        for (const bad of ["0", String(MAX_INPUT_TIMEOUT_SECONDS + 1)])
            assert.throws(
                () => parseExecutionArgs([INPUT_TIMEOUT_FLAG, bad]),
                new RegExp(`^CliError: ${INPUT_TIMEOUT_FLAG} must be a whole number from 1 to ${MAX_INPUT_TIMEOUT_SECONDS}`),
            );
        // A file's input is the scenario's too, as --input's is.
        const file = path.join(os.tmpdir(), `scenario-input-${process.pid}.json`);
        fs.writeFileSync(file, '{"a": 1}');
        try {
            const prepare = SCENARIOS.failure.input!;
            assert.deepEqual(await readStartInput(parseStartArgs(["--scenario", "failure", "--input-file", file])), prepare({ a: 1 }));
        } finally {
            fs.rmSync(file);
        }
    });

    it("gives up on a pipe that never ends and on a named pipe nobody writes to, naming the flag, and holds nothing", async () => {
        const never = new PassThrough();
        never.write("{");
        const notices: string[] = [];
        const started = Date.now();
        const stdinMessage = await refusal(
            readExecutionInput({ inputFile: "-" }, Date.now() + 300, sources(Object.assign(never, { isTTY: true }), notices)),
        );
        assert.ok(shortNotEnded(stdinMessage, `${INPUT_FILE_FLAG} - (standard input)`), stdinMessage);
        assert.ok(never.destroyed, "the pipe is left open");
        // A terminal is told what to type, by when, and how to get longer.
        assert.match(
            notices[0],
            new RegExp(
                `^Reading ${EXECUTION_INPUT_HOLDS.replace(/[(){}.]/g, "\\$&")} from standard input: .*\\(within 0\\.[23] s; ${INPUT_TIMEOUT_FLAG} N for more\\)\\.$`,
            ),
        );
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-fifo-"));
        try {
            const fifo = path.join(dir, "nobody.fifo");
            execFileSync("mkfifo", [fifo]);
            const options = parseStartArgs(["--input-file", fifo]);
            const fifoMessage = await refusal(readStartInput(options, Date.now() + 300));
            assert.ok(shortNotEnded(fifoMessage, `${INPUT_FILE_FLAG} ${fifo}`), fifoMessage);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
    });

    it("npm start -- --input-file - with a pipe that never ends exits 2 at --input-timeout-seconds, naming the flag", async () => {
        const { code, stdout, stderr } = await processes.endlessPipe();
        assert.equal(code, 2, `exit ${code}: ${stderr}`);
        assert.equal(stdout, "");
        assert.equal(stderr, `error: ${notEnded(`${INPUT_FILE_FLAG} - (standard input)`, "1")}\n`);
    });

    it("an output that cannot be written (a full disk: /dev/full) is named on stderr and exits 1, even for -h", async () => {
        const results = await processes.fullDisk();
        results.forEach((result, i) => {
            assert.equal(result.code, 1, `${FULL_DISK_SCRIPTS[i]}: ${result.stderr}`);
            assert.equal(result.stderr, `error: ${unwritableOutput("ENOSPC")}\n`, FULL_DISK_SCRIPTS[i]);
        });
    });

    it("exits quietly when the reader of its output goes away (| head, | true)", async () => {
        const { code, stderr } = await processes.readerGone();
        assert.equal(code, 0, stderr);
        assert.doesNotMatch(stderr, /EPIPE|Error/);
        assert.doesNotMatch(stderr, STACK_TRACE_LINE);
    });
});
