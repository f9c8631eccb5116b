/**
 * `npm run callback`: its flags, and how it reads the token and the output (commands/callback-args.ts),
 * in this process. The command as a process: callback-cli.test.ts and callback-cli-refusals.test.ts.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { LIMITS } from "../functions/callback/callback";
import {
    CALLBACK_EXIT,
    exitCodeOfRefusal,
    parseCallbackArgs,
    readCallbackRequest,
    TASK_OUTPUT_HOLDS,
    type CallbackOptions,
} from "../commands/callback-args";
import { CliError } from "../commands/cli";
import { FRAMING_BYTES, openInputFile, readBounded } from "../commands/input-file";
import { inputSources as inputs } from "./support/input-sources";
import { TOKEN } from "./support/callback-process";

/** The CliError message of parsing `args`. */
function usageError(args: string[]): string {
    let message = "";
    assert.throws(
        () => parseCallbackArgs(args),
        (error: unknown) => {
            assert.ok(error instanceof CliError, String(error));
            message = error.message;
            return true;
        },
    );
    return message;
}

const soon = () => Date.now() + 5000;
describe("npm run callback", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-args-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: string | Buffer) => {
        const p = path.join(dir, name);
        fs.writeFileSync(p, content);
        return p;
    };

    describe("flags", () => {
        it("parses each form of token and answer", () => {
            const base = { help: false, timeoutSeconds: 20, json: false };
            assert.deepEqual(parseCallbackArgs(["--token-file", "t.txt", "--output", '{"a":1}']), {
                ...base,
                token: { from: "file", path: "t.txt" },
                answer: { action: "success", output: { from: "argument", value: '{"a":1}' } },
            } satisfies CallbackOptions);
            assert.deepEqual(parseCallbackArgs(["--token", TOKEN, "--output-file", "-", "--json", "--timeout-seconds", "5"]), {
                ...base,
                json: true,
                timeoutSeconds: 5,
                token: { from: "argument", value: TOKEN },
                answer: { action: "success", output: { from: "file", path: "-" } },
            });
            assert.deepEqual(parseCallbackArgs(["--token-file", "-", "--error", "Rejected", "--cause", "over budget"]).answer, {
                action: "failure",
                error: "Rejected",
                cause: "over budget",
            });
            assert.deepEqual(parseCallbackArgs(["--token-file=-", "--error=Rejected"]).answer, { action: "failure", error: "Rejected" });
            assert.deepEqual(parseCallbackArgs(["--token-file", "t", "--heartbeat"]).answer, { action: "heartbeat" });
            assert.equal(parseCallbackArgs(["-h"]).help, true);
            assert.equal(parseCallbackArgs(["--help", "--heartbeat"]).help, true);
        });

        it("each bad flag or inline value is refused with a message that names it", () => {
            const cases: [string[], RegExp][] = [
                [["--heartbeat"], /^no task token: give --token-file PATH \(- for standard input\), or --token TOKEN$/],
                [["--token", TOKEN, "--token-file", "t", "--heartbeat"], /^give --token or --token-file, not both$/],
                [["--token-file", "a", "--token-file", "b", "--heartbeat"], /^--token-file is given 2 times; give it once$/],
                [["--token-file", "", "--heartbeat"], /^--token-file is empty; give a path, or - for standard input$/],
                [
                    ["--token-file", "t"],
                    /^no answer: give --output JSON, --output-file PATH, --error NAME \[--cause TEXT\], or --heartbeat$/,
                ],
                [["--token-file", "t", "--output", "{}", "--heartbeat"], /^give one answer, not --output and --heartbeat$/],
                [["--token-file", "t", "--output-file", "o", "--error", "E"], /^give one answer, not --output-file and --error$/],
                [["--token-file", "t", "--heartbeat", "--cause", "why"], /^--cause goes with --error NAME/],
                [
                    ["--token-file", "-", "--output-file", "-"],
                    /^standard input can be read only once: give the token or the output there, not both/,
                ],
                [["--token-file", "t", "--output-file", ""], /^--output-file is empty/],
                [["--token-file", "t", "--error", ""], /^--error is empty; give the error name the state machine should see/],
                [["--token-file", "t", "--error", "E".repeat(257)], /^--error is 257 characters long; an error name has at most 256$/],
                [
                    ["--token-file", "t", "--error", "E", "--cause", "c".repeat(32_769)],
                    /^--cause is 32769 characters long; a cause has at most 32768$/,
                ],
                [
                    ["--token-file", "t", "--output", "{nope"],
                    /^--output is not valid JSON: Expected property name or '}' in JSON at position 1/,
                ],
                [
                    ["--token-file", "t", "--output", JSON.stringify("x".repeat(LIMITS.outputBytes))],
                    /^--output is 262146 bytes of UTF-8; a task output holds at most 262144$/,
                ],
                [["--token", "", "--heartbeat"], /^--token is empty; it should hold the task token$/],
                [["--token", `${TOKEN}\n`, "--heartbeat"], /^--token contains a line break \(U\+000A\) at character 797 of 797/],
                [["--token", "x".repeat(2049), "--heartbeat"], /^--token is 2049 characters long; a task token has at most 2048/],
                [
                    ["--token-file", "t", "--heartbeat", "--timeout-seconds", "0"],
                    /^--timeout-seconds must be a whole number from 1 to 300; got "0"$/,
                ],
                [
                    ["--token-file", "t", "--heartbeat", "--timeout-seconds", "1e3"],
                    /^--timeout-seconds must be a whole number from 1 to 300; got "1e3"$/,
                ],
                [["--token-file", "t", "--heartbeat=yes"], /^Option '--heartbeat' does not take an argument$/],
                [["--token-file"], /^Option '--token-file <value>' argument missing$/],
                [["--token-file", "t", "--hearbeat"], /^Unknown option '--hearbeat'/],
                // A value that starts with a dash (the JSON -1, a token that starts with -): parseArgs' hint, on one line.
                [
                    ["--token-file", "t", "--output", "-1"],
                    /^Option '--output' argument is ambiguous\. Did you forget to specify the option argument for '--output'\? To specify an option argument starting with a dash use '--output=-XYZ'\.$/,
                ],
            ];
            for (const [args, message] of cases) assert.match(usageError(args), message, args.join(" ").slice(0, 80));
        });

        it("a token given where no flag takes it is not shown in the message", () => {
            for (const args of [
                [TOKEN, "--heartbeat"],
                ["--token-file", "t", "--heartbeat", TOKEN],
                [`--tokn=${TOKEN}`, "--heartbeat"],
                ["--", TOKEN],
            ]) {
                const message = usageError(args);
                assert.ok(!message.includes(TOKEN.slice(26, 40)), message);
            }
            assert.match(
                usageError([TOKEN, "--heartbeat"]),
                /^unexpected argument \(not shown: it may be a token\); every value goes after its flag/,
            );
            assert.equal(
                usageError(["--token-file", "t", "--heartbeat", "--timeout-seconds", TOKEN]),
                "--timeout-seconds must be a whole number from 1 to 300; got (796 characters, not shown: is it a token?)",
            );
        });

        it("exit codes: 0 sent, 1 refused or unreachable, 2 bad input, 3 the task is gone", () => {
            assert.deepEqual(CALLBACK_EXIT, { sent: 0, refused: 1, input: 2, gone: 3 });
            assert.equal(exitCodeOfRefusal("task-gone"), 3);
            for (const reason of ["invalid-token", "invalid-output", "invalid-request", "no-region"] as const)
                assert.equal(exitCodeOfRefusal(reason), 2);
            for (const reason of [
                "access-denied",
                "bad-credentials",
                "no-credentials",
                "throttled",
                "service-error",
                "unreachable",
                "timed-out",
                "aborted",
            ] as const)
                assert.equal(exitCodeOfRefusal(reason), 1, reason);
        });
    });

    describe("reading the token and the output", () => {
        it("from files: one trailing line break and a byte order mark dropped", async () => {
            const token = file("token.txt", `\ufeff${TOKEN}\r\n`);
            const output = file("output.json", '{"approved": true}\n');
            const request = await readCallbackRequest(
                parseCallbackArgs(["--token-file", token, "--output-file", output]),
                soon(),
                inputs(Readable.from([])),
            );
            assert.deepEqual(request, { taskToken: TOKEN, answer: { action: "success", output: '{"approved": true}' } });
        });

        it("from standard input, in chunks; a terminal is told what to paste", async () => {
            const notices: string[] = [];
            const stdin = Object.assign(Readable.from([Buffer.from(TOKEN.slice(0, 100)), Buffer.from(`${TOKEN.slice(100)}\n`)]), {
                isTTY: true,
            });
            const request = await readCallbackRequest(
                parseCallbackArgs(["--token-file", "-", "--heartbeat"]),
                soon(),
                inputs(stdin, notices),
            );
            assert.deepEqual(request, { taskToken: TOKEN, answer: { action: "heartbeat" } });
            assert.deepEqual(notices, [
                "Reading the task token from standard input: paste it, then press Ctrl-D (within 5 s; --timeout-seconds N for more).",
            ]);
            const output = await readCallbackRequest(
                parseCallbackArgs(["--token", TOKEN, "--output-file", "-"]),
                soon(),
                inputs(Readable.from([Buffer.from("[1, 2]\n")])),
            );
            assert.deepEqual(output.answer, { action: "success", output: "[1, 2]" });
        });

        it("refuses what a token or an output cannot be, naming where it came from", async () => {
            const failure = async (args: string[], stdin: Readable = Readable.from([])) => {
                let message = "";
                await assert.rejects(readCallbackRequest(parseCallbackArgs(args), soon(), inputs(stdin)), (error: unknown) => {
                    assert.ok(error instanceof CliError, String(error));
                    message = error.message;
                    return true;
                });
                assert.ok(!message.includes(TOKEN.slice(26, 40)), message);
                return message;
            };
            const heartbeat = (source: string) => ["--token-file", source, "--heartbeat"];
            assert.equal(await failure(heartbeat("-")), "--token-file - (standard input) is empty; it should hold the task token");
            assert.equal(
                await failure(heartbeat(file("empty", ""))),
                `--token-file ${path.join(dir, "empty")} is empty; it should hold the task token`,
            );
            assert.equal(
                await failure(heartbeat(path.join(dir, "missing"))),
                `cannot read --token-file ${path.join(dir, "missing")}: ENOENT`,
            );
            assert.equal(await failure(heartbeat(dir)), `cannot read --token-file ${dir}: EISDIR`);
            // The token given where its file's path goes: the path is not shown.
            assert.equal(
                await failure(heartbeat(TOKEN)),
                "cannot read --token-file (796 characters, not shown: is it a token?): ENAMETOOLONG",
            );
            assert.match(
                await failure(heartbeat(file("two", `${TOKEN}\n${TOKEN}\n`))),
                /^--token-file .*two contains a line break \(U\+000A\) at character 797 of 1593; a task token has none \(give one token, on one line\)$/,
            );
            assert.equal(
                await failure(heartbeat("-"), Readable.from([Buffer.alloc(10 * 1024 * 1024, "A")])),
                `--token-file - (standard input) holds more than ${LIMITS.taskToken * 4 + FRAMING_BYTES} bytes; a task token has at most ${LIMITS.taskToken} characters`,
            );
            assert.equal(
                await failure(heartbeat("-"), Readable.from([Buffer.from([0x41, 0xff, 0xfe, 0x00, 0x80])])),
                "--token-file - (standard input) is not UTF-8 text (binary data?)",
            );
            assert.match(
                await failure(heartbeat("-"), Readable.from([Buffer.from("AQCE\u0000\u0001xyz")])),
                /contains a NUL byte \(U\+0000\) at character 5 of 9;/,
            );
            assert.match(
                await failure(heartbeat(file("name\u001b[2J", TOKEN.slice(0, 20) + " "))),
                /^--token-file .*name\\u001b\[2J contains a space at character 21/,
            );
            const outputArgs = (source: string) => ["--token", TOKEN, "--output-file", source];
            assert.equal(
                await failure(outputArgs(file("blank.json", "\n"))),
                `--output-file ${path.join(dir, "blank.json")} is empty; it should hold ${TASK_OUTPUT_HOLDS}`,
            );
            assert.equal(
                await failure(outputArgs("-"), Readable.from([Buffer.from(TOKEN)])),
                "--output-file - (standard input) is not valid JSON: an unexpected character",
            );
            assert.equal(
                await failure(outputArgs("-"), Readable.from([Buffer.alloc(LIMITS.outputBytes + 6, " ")])),
                `--output-file - (standard input) holds more than ${LIMITS.outputBytes + FRAMING_BYTES} bytes; a task output holds at most ${LIMITS.outputBytes}`,
            );
            assert.equal(
                await failure(outputArgs(file("big.json", JSON.stringify("x".repeat(LIMITS.outputBytes - 1))))),
                `--output-file ${path.join(dir, "big.json")} is 262145 bytes of UTF-8; a task output holds at most 262144`,
            );
        });

        it("a named pipe is read as a pipe, without blocking a thread: its writer may come later, or never", async () => {
            const fifo = path.join(dir, "token.fifo");
            execFileSync("mkfifo", [fifo]);
            // A writer that comes after the command opened the pipe.
            const writer = spawn("sh", ["-c", 'sleep 0.3; printf "%s\\n" "$TOKEN" > "$FIFO"'], {
                env: { ...process.env, TOKEN, FIFO: fifo },
            });
            const request = await readCallbackRequest(
                parseCallbackArgs(["--token-file", fifo, "--heartbeat"]),
                soon(),
                inputs(Readable.from([])),
            );
            assert.equal(request.taskToken, TOKEN);
            await new Promise((resolve) => writer.on("close", resolve));
            // No writer at all: the deadline ends it, and nothing is left holding the process.
            const started = Date.now();
            await assert.rejects(
                readCallbackRequest(parseCallbackArgs(["--token-file", fifo, "--heartbeat"]), Date.now() + 300, inputs(Readable.from([]))),
                (error: unknown) =>
                    error instanceof CliError && /^--token-file .*token\.fifo did not end within 0\.3 s/.test(error.message),
            );
            assert.ok(Date.now() - started < 1000);
            assert.throws(() => openInputFile(path.join(dir, "missing")), { code: "ENOENT" });
        });

        it("gives up on an input that does not end by the deadline", async () => {
            const stalled = new PassThrough();
            stalled.write("AQCE");
            const started = Date.now();
            await assert.rejects(
                readCallbackRequest(parseCallbackArgs(["--token-file", "-", "--heartbeat"]), Date.now() + 300, inputs(stalled)),
                // The time left when the read began: 0.2 s when a busy machine (a parallel test run) delayed it.
                (error: unknown) =>
                    error instanceof CliError &&
                    /^--token-file - \(standard input\) did not end within 0\.[23] s \(nothing written to it, or no end of input\?\); --timeout-seconds N gives it longer$/.test(
                        error.message,
                    ),
            );
            assert.ok(Date.now() - started < 1000);
            assert.ok(stalled.destroyed, "the stream is left open");
            await assert.rejects(
                readBounded(new PassThrough(), "x", { maxBytes: 10, limit: "", deadline: Date.now(), timeoutFlag: "--wait" }),
                /^CliError: x did not end within 0 s \(nothing written to it, or no end of input\?\); --wait N gives it longer$/,
            );
        });
    });
});
