/**
 * `npm run callback` (in the test's process, as a process where standard input or a shell is the
 * subject): what it refuses before or without an answer from Step Functions
 * (no region, a stalled or closed endpoint, a token it cannot read, bad flags), input from a shell's
 * process substitution and a named pipe, a reader that goes away; and that no token shows in its output.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { LIMITS } from "../functions/callback/callback";
import { FRAMING_BYTES } from "../commands/input-file";
import { reply } from "../local/step-functions-endpoint";
import { TYPESCRIPT_NODE_ARGS } from "./support/typescript-child";
import { TOKEN } from "./support/callback-process";
import { STACK_TRACE_LINE } from "./support/processes";
import { itNeverPrintedAToken, useCallbackProcess } from "./support/callback-process";

describe("npm run callback: what it refuses, and inputs and outputs as a shell gives them", function () {
    this.timeout(120_000);
    const suite = useCallbackProcess();
    const { run, waitingTask, file, given } = suite;

    it("no region, or one that is not valid: exit 2 before reading or sending anything", async () => {
        const tokenFile = file("no-region.token", "x");
        const [{ code, stderr }, invalid] = await Promise.all([
            run(["--token-file", tokenFile, "--heartbeat"], { env: { AWS_REGION: undefined } }),
            run(["--token-file", tokenFile, "--heartbeat"], { env: { AWS_REGION: "eu-west-1/../x" } }),
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
        assert.equal(suite.endpoint.calls.length, 0);
    });

    it("a stalled endpoint, and one nobody listens on: exit 1 within the timeout", async () => {
        const task = waitingTask();
        const tokenFile = file("stall.token", task.token);
        suite.endpoint.respond = () => reply.stall();
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
        given.push(TOKEN); // in the first case's input
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
        // Processes: standard input is the subject.
        const results = await Promise.all(cases.map(([stdin]) => run(["--token-file", "-", "--heartbeat"], { stdin, via: "node" })));
        results.forEach(({ code, stdout, stderr }, i) => {
            assert.equal(code, 2, stderr);
            assert.equal(stdout, "");
            assert.match(stderr, cases[i][1]);
        });
        assert.equal(suite.endpoint.calls.length, 0);
    });

    it("the token from a shell's process substitution; a named pipe nobody writes to ends at the timeout", async () => {
        const task = waitingTask();
        const tokenFile = file("substituted.token", task.token);
        const command = [process.execPath, ...TYPESCRIPT_NODE_ARGS, "commands/callback.ts"].map((a) => `'${a}'`).join(" ");
        const fifo = path.join(suite.dir, "nobody.fifo");
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
        assert.doesNotMatch(stderr, STACK_TRACE_LINE);
        assert.equal(stderr, "");
        assert.equal(await task.result, 7);
    });

    itNeverPrintedAToken(suite, 3);
});
