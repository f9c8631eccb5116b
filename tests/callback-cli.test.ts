/**
 * `npm run callback` as a user runs it, against a loopback Step Functions endpoint: each answer it
 * sends (success, failure, heartbeat), what it prints and its exit codes when Step Functions takes or
 * refuses the answer, and that the token never shows in its output. In the test's process, but for
 * what only a process shows (standard input, `npm run --silent callback`). Its flags
 * and inputs in-process: callback-args.test.ts; what it refuses before sending: callback-cli-refusals.test.ts.
 */
import { strict as assert } from "node:assert";
import { tokenFingerprint } from "../functions/callback/callback";
import { reply } from "../local/step-functions-endpoint";
import { TaskError } from "../local/task-tokens";
import { TOKEN } from "./support/callback-process";
import { itNeverPrintedAToken, useCallbackProcess } from "./support/callback-process";

describe("npm run callback: the answers it sends, and what Step Functions says to them", function () {
    this.timeout(120_000);
    const suite = useCallbackProcess();
    const { run, waitingTask, file, given } = suite;

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
        // A process through npm: that `npm run --silent callback` prints only the command's output, and passes standard input on.
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
        suite.endpoint.respond = (call) => {
            if (call.action === "SendTaskHeartbeat") heartbeatArrived = Date.now();
            return suite.tokens.respond(call);
        };
        const { code, stdout, stderr } = await run(["--token", task.token, "--heartbeat"]);
        assert.equal(code, 0, stderr);
        assert.equal(stdout, `sent SendTaskHeartbeat for task token ${task.fingerprint} (the task keeps waiting)\n`);
        assert.match(
            stderr,
            /^warning: --token puts the task token in your shell history and in the process list; prefer --token-file PATH/,
        );
        assert.equal(suite.endpoint.callsOf("SendTaskHeartbeat", task.token).length, 1);
        assert.equal(suite.tokens.waiting, 1, "the heartbeat ended the task");
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
            via: "node", // a process: only a process has a standard input of its own
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
        const { code, stderr } = await run(["--token-file", file("unknown.token", TOKEN), "--heartbeat"]);
        assert.equal(code, 2);
        assert.equal(
            stderr,
            `error: SendTaskHeartbeat for task token ${tokenFingerprint(TOKEN)}: Step Functions does not know this task token (InvalidToken): it was cut or changed on the way, or it was issued in another region or account than the one called (region eu-west-1, endpoint ${suite.endpoint.url})\n`,
        );
    });

    it("access denied: exit 1, naming the permission and the resource; the token the message echoes is not shown", async () => {
        const task = waitingTask();
        const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-workflow-state-machine-1a2b3c4";
        suite.endpoint.respond = (call) =>
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

    itNeverPrintedAToken(suite, 7);
});
