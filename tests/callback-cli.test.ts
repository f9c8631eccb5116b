/**
 * `npm run callback`: its flags and inputs (commands/callback-args.ts), then the command as a user
 * runs it, as a separate process against a loopback Step Functions endpoint: what it sends, what
 * it prints, its exit codes, and that the token never shows in its output.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { LIMITS, tokenFingerprint } from "../functions/callback/callback";
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
import { reply, StepFunctionsEndpoint } from "../local/step-functions-endpoint";
import { TaskError, TaskTokens } from "../local/task-tokens";
import { useTokensLoopback } from "./support/loopback-client";
import { TYPESCRIPT_NODE_ARGS } from "./support/typescript-child";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = `AQCEAAAAKgAAAAMAAAAAAAAAAR${"Zp4Lq8Wt2Nm6Xc0Vb3Hd5Jf7Kg9Rs1Ty".repeat(24)}==`;
const NO_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

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
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-cli-"))));
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
                (error: unknown) =>
                    error instanceof CliError &&
                    error.message ===
                        "--token-file - (standard input) did not end within 0.3 s (nothing written to it, or no end of input?); --timeout-seconds N gives it longer",
            );
            assert.ok(Date.now() - started < 1000);
            assert.ok(stalled.destroyed, "the stream is left open");
            await assert.rejects(
                readBounded(new PassThrough(), "x", { maxBytes: 10, limit: "", deadline: Date.now(), timeoutFlag: "--wait" }),
                /^CliError: x did not end within 0 s \(nothing written to it, or no end of input\?\); --wait N gives it longer$/,
            );
        });
    });

    describe("as a process, against a loopback Step Functions endpoint", function () {
        this.timeout(120_000);
        let endpoint: StepFunctionsEndpoint;
        let tokens: TaskTokens;
        /** Everything every run printed: no token may be in it. */
        const printed: string[] = [];
        /** Every token the runs were given. */
        const given: string[] = [];

        const suite = useTokensLoopback();
        beforeEach(() => ({ endpoint, tokens } = suite));

        const env = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => {
            const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
            return {
                ...clean,
                // The node this test runs on first (npm runs the script with the first node on PATH).
                PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`,
                AWS_REGION: "eu-west-1",
                AWS_ACCESS_KEY_ID: "AKIDLOOPBACKEXAMPLE",
                AWS_SECRET_ACCESS_KEY: "loopback",
                AWS_ENDPOINT_URL_SFN: endpoint.url,
                AWS_CONFIG_FILE: path.join(dir, "no-config"),
                AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "no-credentials"),
                AWS_EC2_METADATA_DISABLED: "true",
                ...extra,
            } as NodeJS.ProcessEnv;
        };

        /** Runs the command (node with ts-node, or `npm run --silent callback`, or a shell line) and collects what it printed. */
        function run(
            args: string[],
            options: {
                stdin?: string | Buffer;
                env?: Record<string, string | undefined>;
                via?: "node" | "npm" | "shell";
                shell?: string;
            } = {},
        ): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
            const started = Date.now();
            const [command, argv] =
                options.via === "npm"
                    ? ["npm", ["run", "--silent", "callback", "--", ...args]]
                    : options.via === "shell"
                      ? ["bash", ["-c", options.shell!]]
                      : [process.execPath, [...TYPESCRIPT_NODE_ARGS, "commands/callback.ts", ...args]];
            const child = spawn(command, argv, { cwd: ROOT, env: env(options.env), stdio: ["pipe", "pipe", "pipe"] });
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            child.stdout.on("data", (c: Buffer) => out.push(c));
            child.stderr.on("data", (c: Buffer) => err.push(c));
            child.stdin.on("error", () => undefined); // the command may stop reading early, on purpose
            child.stdin.end(options.stdin ?? "");
            const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
            return new Promise((resolve) =>
                child.on("close", (code) => {
                    clearTimeout(killer);
                    const result = {
                        code,
                        stdout: Buffer.concat(out).toString("utf8"),
                        stderr: Buffer.concat(err).toString("utf8"),
                        ms: Date.now() - started,
                    };
                    printed.push(result.stdout, result.stderr);
                    resolve(result);
                }),
            );
        }
        /** A token of a task waiting for its callback. */
        function waitingTask(options: { heartbeatSeconds?: number } = {}) {
            const token = tokens.issue();
            given.push(token);
            const result = tokens.waitFor(token, { timeoutSeconds: 60, ...options });
            result.catch(() => undefined);
            return { token, result, fingerprint: tokenFingerprint(token) };
        }

        it("success with an output, the token from a file", async () => {
            const task = waitingTask();
            const tokenFile = file("ok.token", `${task.token}\n`);
            const { code, stdout, stderr } = await run(["--token-file", tokenFile, "--output", '{"approved": true}']);
            assert.equal(code, 0, stderr);
            assert.equal(stdout, `sent SendTaskSuccess for task token ${task.fingerprint} (output of 18 bytes)\n`);
            assert.equal(stderr, "");
            assert.deepEqual(await task.result, { approved: true });
        });

        it("failure with an error and a cause, the token from standard input, through npm run --silent callback", async () => {
            const task = waitingTask();
            const { code, stdout, stderr } = await run(["--token-file", "-", "--error", "Rejected", "--cause", "over budget"], {
                stdin: `${task.token}\n`,
                via: "npm",
            });
            assert.equal(code, 0, stderr);
            assert.equal(stdout, `sent SendTaskFailure for task token ${task.fingerprint} (error "Rejected", cause of 11 characters)\n`);
            await assert.rejects(
                task.result,
                (error: unknown) => error instanceof TaskError && error.name === "Rejected" && error.message === "over budget",
            );
        });

        it("a heartbeat keeps the task waiting; --token on the command line works, with a warning", async () => {
            // The task's heartbeat clock starts before the process does; the heartbeat arrives some time later (a process
            // starts well within HEARTBEAT_SECONDS, even on a busy machine). Kept waiting, the task times out a whole
            // HeartbeatSeconds after the heartbeat arrived, not after the clock started: a timer can only fire late, never
            // early, so the bound holds however loaded the machine is, and no test waits a fixed time.
            const HEARTBEAT_SECONDS = 2.5;
            const task = waitingTask({ heartbeatSeconds: HEARTBEAT_SECONDS });
            const clockStarted = Date.now();
            let heartbeatArrived = 0;
            endpoint.respond = (call) => {
                if (call.action === "SendTaskHeartbeat") heartbeatArrived = Date.now();
                return tokens.respond(call);
            };
            const { code, stdout, stderr } = await run(["--token", task.token, "--heartbeat"]);
            assert.equal(code, 0, stderr);
            assert.equal(stdout, `sent SendTaskHeartbeat for task token ${task.fingerprint} (the task keeps waiting)\n`);
            assert.match(
                stderr,
                /^warning: --token puts the task token in your shell history and in the process list; prefer --token-file PATH/,
            );
            assert.equal(endpoint.callsOf("SendTaskHeartbeat", task.token).length, 1);
            assert.equal(tokens.waiting, 1, "the heartbeat ended the task");
            await assert.rejects(task.result, (error: unknown) => error instanceof TaskError && error.name === "States.Timeout");
            const ended = Date.now();
            // 20 ms for a timer's rounding; the process took far longer than that to start and send.
            assert.ok(
                ended - heartbeatArrived >= HEARTBEAT_SECONDS * 1000 - 20,
                `the task timed out ${ended - heartbeatArrived} ms after the heartbeat (${ended - clockStarted} ms after its clock started): the heartbeat did not keep it waiting`,
            );
        });

        it("the output from standard input, the token from a file; --json", async () => {
            const task = waitingTask();
            const { code, stdout, stderr } = await run(["--token-file", file("json.token", task.token), "--output-file", "-", "--json"], {
                stdin: '{"order": 42}\n',
            });
            assert.equal(code, 0, stderr);
            assert.deepEqual(JSON.parse(stdout), {
                sent: true,
                action: "SendTaskSuccess",
                tokenFingerprint: task.fingerprint,
                attempts: 1,
                region: "eu-west-1",
                exitCode: 0,
            });
            assert.deepEqual(await task.result, { order: 42 });
        });

        it("a gone token (TaskTimedOut): exit 3, and what it means", async () => {
            const task = waitingTask();
            const tokenFile = file("gone.token", task.token);
            assert.equal((await run(["--token-file", tokenFile, "--output", "1"])).code, 0);
            // Both after the task ended, independent of each other: at once.
            const [{ code, stdout, stderr }, json] = await Promise.all([
                run(["--token-file", tokenFile, "--output", "2"]),
                run(["--token-file", tokenFile, "--heartbeat", "--json"]),
            ]);
            assert.equal(code, 3, stderr);
            assert.equal(stdout, "");
            assert.equal(
                stderr,
                `error: SendTaskSuccess for task token ${task.fingerprint}: the task no longer takes an answer (TaskTimedOut): it timed out, was already answered, or its execution ended\n`,
            );
            assert.equal(json.code, 3);
            assert.deepEqual(
                { ...JSON.parse(json.stdout), message: undefined },
                {
                    sent: false,
                    action: "SendTaskHeartbeat",
                    tokenFingerprint: task.fingerprint,
                    reason: "task-gone",
                    errorName: "TaskTimedOut",
                    message: undefined,
                    retryable: false,
                    attempts: 1,
                    region: "eu-west-1",
                    exitCode: 3,
                },
            );
        });

        it("an unknown token (InvalidToken): exit 2, naming the region called", async () => {
            given.push(TOKEN);
            const { code, stderr } = await run(["--token-file", "-", "--heartbeat"], { stdin: TOKEN });
            assert.equal(code, 2);
            assert.equal(
                stderr,
                `error: SendTaskHeartbeat for task token ${tokenFingerprint(TOKEN)}: Step Functions does not know this task token (InvalidToken): it was cut or changed on the way, or it was issued in another region or account than the one called (region eu-west-1, endpoint ${endpoint.url})\n`,
            );
        });

        it("access denied: exit 1, naming the permission and the resource; the token the message echoes is not shown", async () => {
            const task = waitingTask();
            const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-workflow-state-machine-1a2b3c4";
            endpoint.respond = (call) =>
                reply.error(
                    "AccessDeniedException",
                    400,
                    `User: arn:aws:sts::123456789012:assumed-role/partner/p is not authorized to perform: states:${call.action} on resource: ${machine} because no identity-based policy allows the states:${call.action} action; token: ${String(call.input.taskToken)}; start: ${String(call.input.taskToken).slice(0, 40)}`,
                );
            const { code, stdout, stderr } = await run(["--token-file", file("denied.token", task.token), "--error", "Rejected"]);
            assert.equal(code, 1);
            assert.equal(stdout, "");
            assert.match(
                stderr,
                new RegExp(
                    `^error: SendTaskFailure for task token ${task.fingerprint}: the caller may not call states:SendTaskFailure on ${machine}: its role needs states:SendTaskSuccess, states:SendTaskFailure and states:SendTaskHeartbeat on the state machine's ARN, the stack output stateMachineArn \\(see examples/consumer\\) \\(AccessDeniedException: .*; token: \\[task token ${task.fingerprint}\\]; start: \\[part of the task token\\]\\)\\n$`,
                ),
            );
        });

        it("no region, or one that is not valid: exit 2 before reading or sending anything", async () => {
            const [{ code, stderr }, invalid] = await Promise.all([
                run(["--token-file", "-", "--heartbeat"], { env: { AWS_REGION: undefined }, stdin: "x" }),
                run(["--token-file", "-", "--heartbeat"], { env: { AWS_REGION: "eu-west-1/../x" }, stdin: "x" }),
            ]);
            assert.equal(code, 2);
            assert.equal(
                stderr,
                "error: no AWS region is set: set AWS_REGION to the state machine's region (the region in its ARN, the stack output stateMachineArn)\n",
            );
            assert.equal(invalid.code, 2);
            assert.equal(
                invalid.stderr,
                'error: the AWS region is not valid (Region not accepted: region="eu-west-1/../x" is not a valid hostname component.): set AWS_REGION to the state machine\'s region (the region in its ARN)\n',
            );
            assert.equal(endpoint.calls.length, 0);
        });

        it("a stalled endpoint, and one nobody listens on: exit 1 within the timeout", async () => {
            const task = waitingTask();
            const tokenFile = file("stall.token", task.token);
            endpoint.respond = () => reply.stall();
            // Independent: both run at once. 1 s is the shortest --timeout-seconds.
            const [stalled, closed] = await Promise.all([
                run(["--token-file", tokenFile, "--heartbeat", "--timeout-seconds", "1"]),
                run(["--token-file", tokenFile, "--heartbeat"], { env: { AWS_ENDPOINT_URL_SFN: "http://127.0.0.1:1" } }),
            ]);
            assert.equal(stalled.code, 1, stalled.stderr);
            assert.match(
                stalled.stderr,
                /^error: SendTaskHeartbeat for task token \w{16}: no outcome from Step Functions within [\d.]+ s; whether the answer arrived is unknown: send it again\n$/,
            );
            assert.ok(stalled.ms < 12_000, `${stalled.ms} ms`);
            assert.equal(closed.code, 1);
            assert.match(
                closed.stderr,
                /: could not reach Step Functions \(ECONNREFUSED\) on all 3 attempts \(region eu-west-1, endpoint http:\/\/127\.0\.0\.1:1\)\n$/,
            );
        });

        it("a token with a line break, binary junk, 10 MB on standard input, no input at all: exit 2, nothing sent", async () => {
            const cases: [string | Buffer, RegExp][] = [
                [
                    `${TOKEN}\n${TOKEN}\n`,
                    /^error: --token-file - \(standard input\) contains a line break \(U\+000A\) at character 797 of 1593/,
                ],
                [
                    Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]),
                    /^error: --token-file - \(standard input\) is not UTF-8 text \(binary data\?\)\n$/,
                ],
                [
                    Buffer.alloc(10 * 1024 * 1024, "A"),
                    new RegExp(
                        `^error: --token-file - \\(standard input\\) holds more than ${LIMITS.taskToken * 4 + FRAMING_BYTES} bytes; a task token has at most ${LIMITS.taskToken} characters\n$`,
                    ),
                ],
                ["", /^error: --token-file - \(standard input\) is empty; it should hold the task token\n$/],
            ];
            const results = await Promise.all(cases.map(([stdin]) => run(["--token-file", "-", "--heartbeat"], { stdin })));
            results.forEach(({ code, stdout, stderr }, i) => {
                assert.equal(code, 2, stderr);
                assert.equal(stdout, "");
                assert.match(stderr, cases[i][1]);
            });
            assert.equal(endpoint.calls.length, 0);
        });

        it("the token from a shell's process substitution; a named pipe nobody writes to ends at the timeout", async () => {
            const task = waitingTask();
            const tokenFile = file("substituted.token", task.token);
            const command = [process.execPath, ...TYPESCRIPT_NODE_ARGS, "commands/callback.ts"].map((a) => `'${a}'`).join(" ");
            const fifo = path.join(dir, "nobody.fifo");
            execFileSync("mkfifo", [fifo]);
            const [substituted, { code, stderr, ms }] = await Promise.all([
                run([], { via: "shell", shell: `${command} --token-file <(sleep 0.2; cat '${tokenFile}') --output 5` }),
                run(["--token-file", fifo, "--heartbeat", "--timeout-seconds", "1"]),
            ]);
            assert.equal(substituted.code, 0, substituted.stderr);
            assert.equal(await task.result, 5);
            assert.equal(code, 2);
            assert.match(
                stderr,
                /^error: --token-file .*nobody\.fifo did not end within 1 s \(nothing written to it, or no end of input\?\); --timeout-seconds N gives it longer\n$/,
            );
            assert.ok(ms < 8000, `${ms} ms`);
        });

        it("bad flags: exit 2 with a hint and no stack trace", async () => {
            const [{ code, stdout, stderr }, help] = await Promise.all([run(["--token-file", "-", "--output-file", "-"]), run(["--help"])]);
            assert.equal(code, 2);
            assert.equal(stdout, "");
            assert.equal(
                stderr,
                "error: standard input can be read only once: give the token or the output there, not both (--token-file - and --output-file -)\nRun `npm run callback -- --help` for the options.\n",
            );
            assert.equal(help.code, 0);
            assert.match(help.stdout, /^Usage: npm run --silent callback -- \(--token-file PATH \| --token TOKEN\) ANSWER/);
            assert.match(help.stdout, /\n {2}3 {2}the task is gone: it timed out, was already answered, or its execution ended\n/);
        });

        it("a reader that goes away (| true) does not crash it: the exit code stays the outcome's", async () => {
            const task = waitingTask();
            const tokenFile = file("pipe.token", task.token);
            const command = [process.execPath, ...TYPESCRIPT_NODE_ARGS, "commands/callback.ts", "--token-file", tokenFile, "--output", "7"]
                .map((a) => `'${a}'`)
                .join(" ");
            const { stdout, stderr } = await run([], { via: "shell", shell: `${command} | true; echo "exit=\${PIPESTATUS[0]}"` });
            assert.equal(stdout, "exit=0\n");
            assert.doesNotMatch(stderr, NO_TRACE);
            assert.equal(stderr, "");
            assert.equal(await task.result, 7);
        });

        it("never printed a token, whole or in part", () => {
            assert.ok(given.length >= 8, `${given.length} tokens`);
            const all = printed.join("\n");
            for (const token of given) {
                for (let i = 0; i + 12 <= token.length; i += 6)
                    assert.ok(!all.includes(token.slice(i, i + 12)), `a piece of a token was printed: ${tokenFingerprint(token)}`);
            }
            assert.doesNotMatch(all, NO_TRACE);
        });
    });
});
