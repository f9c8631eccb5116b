/** `npm run execution` against a stubbed Step Functions client and a stand-in `pulumi` CLI. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    DescribeExecutionCommand,
    GetExecutionHistoryCommand,
    SFNClient,
    StartExecutionCommand,
    type HistoryEvent,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import {
    bodyExcerpt,
    callLimitMs,
    callWithin,
    describeNoAnswer,
    createExecutionClient,
    EMPTY_HISTORY,
    EXECUTION_CALL_LIMITS,
    followCommand,
    historyPageCheck,
    MAX_HISTORY_EVENTS,
    MAX_HISTORY_PAGES,
    MISSING_STATUS,
    NOT_AN_EXECUTION_ARN,
    readPulumiStackOutputs,
    regionOf,
    resolveStateMachineArn,
    runDeployedExecution,
    ServiceCallError,
    type DeployedExecutionArgs,
} from "../commands/deployed-execution";
import { CliError } from "../commands/cli";
import { parseExecutionArgs } from "../commands/execution-args";
import { reply, StepFunctionsEndpoint, type ExecutionAction, type ExecutionCall, type Reply } from "../local/step-functions-endpoint";
import { printable, renderExecution } from "../view/execution-view";
import { MESSAGE_TITLE, STATE_NAMES, SUCCESS_MESSAGE } from "../infra/definition";
import { withShortestBackoff } from "./support/shortest-backoff";

const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-workflow-state-machine-1234567";
const EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:callback-workflow-state-machine-1234567:demo";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:callback-notifications-topic-1234567";
const TOKEN = "AQB4AAAAKgAAAAMAAAAAAAAAAR".repeat(20);

/** The history AWS returns for a successful execution (the fields the view reads). */
function history(): HistoryEvent[] {
    const t0 = Date.parse("2026-11-25T12:00:00.000Z");
    const at = (ms: number) => new Date(t0 + ms);
    const wait = STATE_NAMES.waitForCallback;
    const notify = STATE_NAMES.notifySuccess;
    const message = { MessageTitle: MESSAGE_TITLE, TaskToken: TOKEN, ExecutionId: EXECUTION, Input: { order: 42 } };
    const events: Omit<HistoryEvent, "id">[] = [
        { type: "ExecutionStarted", timestamp: at(0), executionStartedEventDetails: { input: '{"order":42}' } },
        { type: "TaskStateEntered", timestamp: at(20), stateEnteredEventDetails: { name: wait, input: '{"order":42}' } },
        {
            type: "TaskScheduled",
            timestamp: at(20),
            taskScheduledEventDetails: {
                resourceType: "sqs",
                resource: "sendMessage.waitForTaskToken",
                region: "eu-west-1",
                parameters: JSON.stringify({ QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/q", MessageBody: message }),
            },
        },
        {
            type: "TaskStarted",
            timestamp: at(40),
            taskStartedEventDetails: { resourceType: "sqs", resource: "sendMessage.waitForTaskToken" },
        },
        {
            type: "TaskSubmitted",
            timestamp: at(60),
            taskSubmittedEventDetails: { resourceType: "sqs", resource: "sendMessage.waitForTaskToken" },
        },
        {
            type: "TaskSucceeded",
            timestamp: at(400),
            taskSucceededEventDetails: { resourceType: "sqs", resource: "sendMessage.waitForTaskToken", output: "{}" },
        },
        { type: "TaskStateExited", timestamp: at(400), stateExitedEventDetails: { name: wait, output: "{}" } },
        { type: "TaskStateEntered", timestamp: at(410), stateEnteredEventDetails: { name: notify, input: "{}" } },
        {
            type: "TaskScheduled",
            timestamp: at(410),
            taskScheduledEventDetails: {
                resourceType: "sns",
                resource: "publish",
                region: "eu-west-1",
                parameters: JSON.stringify({ TopicArn: TOPIC, Message: SUCCESS_MESSAGE }),
            },
        },
        { type: "TaskStarted", timestamp: at(420), taskStartedEventDetails: { resourceType: "sns", resource: "publish" } },
        {
            type: "TaskSucceeded",
            timestamp: at(480),
            taskSucceededEventDetails: { resourceType: "sns", resource: "publish", output: '{"MessageId":"m"}' },
        },
        { type: "TaskStateExited", timestamp: at(480), stateExitedEventDetails: { name: notify, output: '{"MessageId":"m"}' } },
        { type: "ExecutionSucceeded", timestamp: at(490), executionSucceededEventDetails: { output: '{"MessageId":"m"}' } },
    ];
    return events.map((event, i) => ({ ...event, id: i + 1 }) as HistoryEvent);
}

describe("npm run execution (deployed stack)", () => {
    const mockSfn = () => mockClient(SFNClient);
    let sfn: ReturnType<typeof mockSfn>;
    before(() => (sfn = mockSfn()));
    after(() => sfn.restore());
    beforeEach(() => sfn.reset());

    it("starts the execution, polls until it ends, reads every page of its history, and builds the console's view", async () => {
        const events = history();
        sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
        sfn.on(DescribeExecutionCommand)
            .resolvesOnce({ status: "RUNNING" })
            .resolvesOnce({ status: "RUNNING" })
            .resolves({ status: "SUCCEEDED" });
        sfn.on(GetExecutionHistoryCommand)
            .resolvesOnce({ events: events.slice(0, 6), nextToken: "page-2" })
            .resolves({ events: events.slice(6) });
        const progress: string[] = [];

        const view = await runDeployedExecution({
            client: new SFNClient({ region: "eu-west-1" }),
            stateMachineArn: MACHINE,
            name: "demo",
            input: { order: 42 },
            waitSeconds: 60,
            pollMs: 1,
            onProgress: (status) => progress.push(status),
        });

        assert.deepEqual(
            sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input),
            [{ stateMachineArn: MACHINE, name: "demo", input: '{"order":42}' }],
        );
        assert.deepEqual(progress, ["RUNNING", "RUNNING", "SUCCEEDED"]);
        assert.deepEqual(
            sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input.nextToken),
            [undefined, "page-2"],
        );
        assert.equal(view.status, "SUCCEEDED");
        assert.equal(view.durationMs, 490);
        assert.deepEqual(view.input, { order: 42 });
        assert.deepEqual(view.history.map((r) => [r.id, r.type, r.state ?? "", r.elapsedMs]).slice(0, 3), [
            [1, "ExecutionStarted", "", 0],
            [2, "TaskStateEntered", STATE_NAMES.waitForCallback, 20],
            [3, "TaskScheduled", STATE_NAMES.waitForCallback, 20],
        ]);
        assert.equal(view.history.length, 13);
        assert.equal((view.queuedMessage as { TaskToken: string }).TaskToken, `${TOKEN.slice(0, 16)}…`);
        assert.deepEqual(view.notifications, [{ topicArn: TOPIC, message: SUCCESS_MESSAGE }]);
        // The events as AWS gave them, for --json: the same ids, types and details, the token shortened.
        assert.deepEqual(
            view.events.map((e) => [e.id, e.type]),
            events.map((e) => [e.id, e.type]),
        );
        const scheduled = JSON.parse(view.events[2].taskScheduledEventDetails!.parameters!) as { MessageBody: unknown };
        assert.deepEqual(scheduled.MessageBody, view.queuedMessage);
        assert.deepEqual(view.events.at(-1), events.at(-1));
        const text = renderExecution(view);
        assert.match(text, /^Execution demo: SUCCEEDED in 490 ms/);
        assert.doesNotMatch(text, new RegExp(TOKEN.slice(0, 40)), "the whole token is never printed");
        assert.match(
            text,
            /\n +11 {2}TaskSucceeded +Notify Success +480 {2}output: \{"MessageId":"m"\}\n/,
            "the task's output beside its event",
        );
    });

    it("shows a failed execution as FAILED, with the error and cause it ended with", async () => {
        // The failure path's tail: Notify Failure published, then the Fail state ends the execution.
        const t0 = Date.parse("2026-11-25T12:00:00.000Z");
        const events = [
            { type: "ExecutionStarted", timestamp: new Date(t0), executionStartedEventDetails: { input: "{}" } },
            { type: "ChoiceStateEntered", timestamp: new Date(t0 + 500), stateEnteredEventDetails: { name: STATE_NAMES.checkFailure } },
            { type: "ChoiceStateExited", timestamp: new Date(t0 + 501), stateExitedEventDetails: { name: STATE_NAMES.checkFailure } },
            { type: "FailStateEntered", timestamp: new Date(t0 + 502), stateEnteredEventDetails: { name: STATE_NAMES.failWithCause } },
            {
                type: "ExecutionFailed",
                timestamp: new Date(t0 + 503),
                executionFailedEventDetails: { error: "TaskRejected", cause: "out of stock" },
            },
        ].map((event, i) => ({ ...event, id: i + 1 }) as HistoryEvent);
        sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
        sfn.on(DescribeExecutionCommand).resolves({ status: "FAILED", error: "TaskRejected", cause: "out of stock" });
        sfn.on(GetExecutionHistoryCommand).resolves({ events });
        const view = await runDeployedExecution({
            client: new SFNClient({ region: "eu-west-1" }),
            stateMachineArn: MACHINE,
            name: "demo",
            input: {},
            waitSeconds: 60,
            pollMs: 1,
            onProgress: () => undefined,
        });
        assert.equal(view.status, "FAILED");
        assert.equal(view.error, "TaskRejected");
        assert.equal(view.cause, "out of stock");
        assert.equal(view.history.at(-2)?.state, STATE_NAMES.failWithCause);
        assert.deepEqual(view.events, events, "events with no token are given as AWS gave them");
        assert.match(renderExecution(view), /\n +5 {2}ExecutionFailed +503 {2}error: TaskRejected, cause: out of stock\n/);
        assert.match(
            renderExecution(view),
            /^Execution demo: FAILED in 503 ms\n.*\n.*\n {2}error: {2}TaskRejected\n {2}cause: {2}out of stock/,
        );
    });

    it("stops waiting after --wait-seconds and says how to follow the execution", async () => {
        sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
        sfn.on(DescribeExecutionCommand).resolves({ status: "RUNNING" });
        sfn.on(GetExecutionHistoryCommand).resolves({ events: history().slice(0, 5) });
        const view = await runDeployedExecution({
            client: new SFNClient({ region: "eu-west-1" }),
            stateMachineArn: MACHINE,
            name: "demo",
            input: {},
            waitSeconds: 0.05,
            pollMs: 10,
        });
        assert.equal(view.status, "RUNNING");
        assert.equal(view.durationMs, undefined);
        assert.match(
            view.notes?.[0] ?? "",
            /still running after 0.05 s; follow it with: aws stepfunctions describe-execution --execution-arn arn:aws:states:/,
        );
    });

    it("takes the state machine from --state-machine-arn, else from the stack's outputs", async () => {
        const never = async () => assert.fail("outputs read although an ARN was given");
        assert.equal(await resolveStateMachineArn({ stateMachineArn: MACHINE }, never), MACHINE);
        assert.equal(
            await resolveStateMachineArn({ stack: "dev" }, async (stack) => (stack === "dev" ? { stateMachineArn: MACHINE } : {})),
            MACHINE,
        );
        await assert.rejects(
            resolveStateMachineArn({ stack: "dev" }, async () => ({})),
            /the stack dev has no stateMachineArn output: is it deployed/,
        );
        // An output is checked as --state-machine-arn is: a wrong one is named, not sent.
        const wrong = "arn:aws:states:eu-west-1:123456789012:stateMachine:m\u001b[2J";
        await assert.rejects(
            resolveStateMachineArn({ stack: "dev" }, async () => ({ stateMachineArn: wrong })),
            (error: unknown) =>
                error instanceof CliError &&
                error.message === `the stack dev's stateMachineArn output ${JSON.stringify(wrong)} is not a state machine ARN`,
        );
        assert.equal(regionOf(MACHINE), "eu-west-1");
    });

    describe("reading the outputs with the pulumi CLI", () => {
        let bin: string;
        let savedPath: string | undefined;
        before(() => {
            bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
            savedPath = process.env.PATH;
        });
        after(() => {
            process.env.PATH = savedPath;
            fs.rmSync(bin, { recursive: true, force: true });
        });
        const fakePulumi = (script: string) => {
            fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
            process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
        };

        it("runs `pulumi stack output --json --stack NAME` and parses its JSON", async () => {
            fakePulumi(
                `[ "$*" = "stack output --json --stack prod" ] || { echo "unexpected: $*" >&2; exit 3; }\necho '{"stateMachineArn": "${MACHINE}", "queueUrl": "https://q"}'`,
            );
            assert.deepEqual(await readPulumiStackOutputs("prod"), { stateMachineArn: MACHINE, queueUrl: "https://q" });
        });

        it("reports the CLI's own error", async () => {
            fakePulumi(`echo "error: no stack named 'nope' found" >&2; exit 255`);
            await assert.rejects(
                readPulumiStackOutputs("nope"),
                /`pulumi stack output --json --stack nope` failed: error: no stack named 'nope' found/,
            );
        });

        it("says what to do when the CLI is missing", async () => {
            process.env.PATH = bin; // holds no pulumi once the fake is gone
            fs.rmSync(path.join(bin, "pulumi"), { force: true });
            await assert.rejects(
                readPulumiStackOutputs(),
                /the Pulumi CLI was not found, so the stack's outputs cannot be read: pass --state-machine-arn ARN/,
            );
        });
    });
});

describe("npm run execution against a misbehaving Step Functions (loopback endpoint, real client)", () => {
    let endpoint: StepFunctionsEndpoint;
    let client: SFNClient;
    /** How each action is answered in the current test; success with a finished execution when not set. */
    let answers: Partial<Record<ExecutionAction, (call: ExecutionCall) => Reply>>;
    const succeeded: Record<ExecutionAction, () => Reply> = {
        StartExecution: () => reply.json({ executionArn: EXECUTION, startDate: Date.now() / 1000 }),
        DescribeExecution: () => reply.json({ executionArn: EXECUTION, status: "SUCCEEDED" }),
        GetExecutionHistory: () => reply.json({ events: [] }),
    };
    before(async () => {
        endpoint = await StepFunctionsEndpoint.start({ executions: (call) => (answers[call.action] ?? succeeded[call.action])(call) });
        // The command's client, with attempt timeouts short enough that a test sees their retries.
        client = createExecutionClient({
            region: "eu-west-1",
            endpoint: endpoint.url,
            credentials: { accessKeyId: "AKIDLOOPBACK", secretAccessKey: "loopback" },
            attemptTimeoutMs: 2000,
            connectionTimeoutMs: 500,
        });
    });
    after(async () => {
        client.destroy();
        await endpoint.close();
    });
    beforeEach(() => {
        answers = {};
        endpoint.reset();
    });

    /** Runs the core with short limits; resolves to what it returned or threw, the ARNs it announced and its time. */
    async function runBriefly(waitSeconds: number, limits: DeployedExecutionArgs["limits"] = {}) {
        const announced: string[] = [];
        const begin = Date.now();
        const outcome = await runDeployedExecution({
            client,
            stateMachineArn: MACHINE,
            name: "demo",
            input: {},
            waitSeconds,
            pollMs: 10,
            onStarted: (arn) => announced.push(arn),
            limits: { historyReadMs: 1000, minCallMs: 50, ...limits },
        }).then(
            (view) => ({ view, error: undefined }),
            (error: unknown) => ({ view: undefined, error }),
        );
        return { ...outcome, announced, elapsedMs: Date.now() - begin };
    }

    /** Events as the service sends them: timestamps in epoch seconds. */
    const onTheWire = (events: HistoryEvent[]) => events.map((e) => ({ ...e, timestamp: (e.timestamp?.getTime() ?? 0) / 1000 }));

    function serviceError(error: unknown): ServiceCallError {
        assert.ok(error instanceof ServiceCallError, `expected a ServiceCallError, got ${String(error)}`);
        return error;
    }

    it("a StartExecution that never answers ends at --wait-seconds, saying the execution may have started", async () => {
        answers.StartExecution = () => reply.stall();
        const { error, announced, elapsedMs } = await runBriefly(0.3);
        const { message, userInput } = serviceError(error);
        // The time left when the call started: --wait-seconds, less a millisecond or two on a busy machine.
        assert.match(message, /^StartExecution got no answer within 0\.(3|29\d) s \(retries included\)\n/);
        assert.ok(
            message.includes(
                `may have started as demo; look for it with: aws stepfunctions list-executions --state-machine-arn ${MACHINE}`,
            ),
        );
        assert.equal(userInput, false);
        assert.deepEqual(announced, []);
        assert.ok(elapsedMs < 1500, `took ${elapsedMs} ms`);
    });

    it("says the time a call had as the user set it, not the milliseconds the clock took off it", async () => {
        // The limit is what is left before the deadline: under load, a --wait-seconds of 0.3 or 60
        // leaves 299 ms or 59 998 ms by the time the call goes out; the message must not say 0.299 s.
        const stalled = (limitMs: number) =>
            callWithin(
                "StartExecution",
                limitMs,
                new StartExecutionCommand({ stateMachineArn: MACHINE }),
                (signal) => new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error))),
                {},
            ).then(
                () => assert.fail("a stalled call returned"),
                (error: unknown) => serviceError(error).message,
            );
        assert.match(await stalled(299), /^StartExecution got no answer within 0\.3 s \(retries included\)$/);
        // The same words for a longer limit, without waiting it out.
        assert.match(describeNoAnswer("StartExecution", 1_998), /^StartExecution got no answer within 2 s /);
        assert.match(describeNoAnswer("DescribeExecution", 59_998), /^DescribeExecution got no answer within 60 s /);
    });

    it("a DescribeExecution that never answers ends at --wait-seconds, naming the execution and how to follow it", async () => {
        answers.DescribeExecution = () => reply.trickle(50); // never idle: only the deadline ends it
        const { error, announced, elapsedMs } = await runBriefly(0.5);
        const { message } = serviceError(error);
        assert.deepEqual(announced, [EXECUTION], "the ARN is told as soon as StartExecution returns it");
        assert.match(message, /^DescribeExecution got no answer within 0\.\d+ s/);
        assert.ok(message.endsWith(`the execution ${EXECUTION} was started and goes on; follow it with: ${followCommand(EXECUTION)}`));
        assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
    });

    it("a throttled DescribeExecution is retried within the deadline, then fails naming the throttling and the execution", async () => {
        answers.DescribeExecution = () => reply.error("ThrottlingException", 400, "Rate exceeded");
        // 3 s: the SDK waits up to 1 s (a random part of twice its 500 ms throttling base) before its
        // second attempt, which a shorter wait could leave out, and the test would see no retry.
        // That random part pinned to 0: the retries come at once, what is asserted is the same.
        const { error, announced, elapsedMs } = await withShortestBackoff(() => runBriefly(3));
        const { message, userInput } = serviceError(error);
        assert.deepEqual(announced, [EXECUTION]);
        assert.ok(endpoint.executionCalls.filter((c) => c.action === "DescribeExecution").length > 1, "retried");
        assert.match(
            message,
            /^DescribeExecution (got no answer within [\d.]+ s \(retries included\); the last attempt's answer|failed after \d attempts): ThrottlingException \(HTTP 400\): Rate exceeded\n/,
        );
        assert.ok(message.includes(followCommand(EXECUTION)));
        assert.equal(userInput, false);
        assert.ok(elapsedMs < 4500, `took ${elapsedMs} ms`);
    });

    it("a throttling or a 5xx answer that passes is retried, and the run goes on", async () => {
        let describes = 0;
        answers.DescribeExecution = () =>
            ++describes === 1 ? reply.error("ThrottlingException", 400, "Rate exceeded") : succeeded.DescribeExecution();
        let starts = 0;
        answers.StartExecution = () => (++starts === 1 ? reply.error("ServiceUnavailable", 503, "busy") : succeeded.StartExecution());
        const { view, error } = await runBriefly(5);
        assert.equal(error, undefined);
        assert.equal(view?.status, "SUCCEEDED");
        assert.deepEqual([starts, describes], [2, 2]);
    });

    it("an HTML error page is reported with its status and title, never as a SyntaxError", async () => {
        const page = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>";
        answers.StartExecution = () => reply.raw(502, page, "text/html");
        const { error } = await runBriefly(5);
        const { message } = serviceError(error);
        assert.equal(
            message,
            `StartExecution failed after ${EXECUTION_CALL_LIMITS.maxAttempts} attempts: HTTP 502 with a body that is not Step Functions' JSON (text/html): "502 Bad Gateway"`,
        );
        assert.doesNotMatch(message, /SyntaxError|Unexpected token/);
    });

    it("shows a page without a title by its start, on one printable line, cut short", () => {
        assert.equal(bodyExcerpt("<p>Service\r\n  \u001b[31mUnavailable</p>"), "Service [31mUnavailable");
        assert.equal(
            bodyExcerpt("upstream connect error or disconnect/reset before headers"),
            "upstream connect error or disconnect/reset before headers",
        );
        const long = bodyExcerpt("x".repeat(1000));
        assert.ok(long.length < 1000 && long.endsWith("…"), long);
    });

    it("an error the service words with terminal controls is shown as printable text on its own line", async () => {
        // Whoever runs the endpoint (a proxy, say) words the error: it must not erase the screen or forge a line.
        const hostile = "denied\u001b[2J\u001b[1;1H\nstatus: SUCCEEDED \u202eDEDEECCUS";
        answers.DescribeExecution = () => reply.error("AccessDeniedException", 400, hostile);
        const { error } = await runBriefly(5);
        const [first, ...rest] = serviceError(error).message.split("\n");
        assert.equal(first, `DescribeExecution failed: AccessDeniedException (HTTP 400): ${printable(hostile)}`);
        assert.deepEqual(rest, [`  the execution ${EXECUTION} was started and goes on; follow it with: ${followCommand(EXECUTION)}`]);
        assert.equal(bodyExcerpt("OK\u202e fake"), `OK${printable("\u202e")} fake`);
    });

    it("an executionArn that is not an execution's ARN is refused before it is printed or put in a command to paste", async () => {
        // The ARN is printed at once and in "follow it with: aws stepfunctions …", which users paste into a shell.
        for (const hostile of [
            `${EXECUTION}\u001b[2J`,
            `${EXECUTION}; rm -rf ~`,
            `${EXECUTION}\u202e`,
            "arn:aws:states:eu-west-1:1:execution:m:demo",
        ]) {
            answers.StartExecution = () => reply.json({ executionArn: hostile, startDate: Date.now() / 1000 });
            const { error, announced } = await runBriefly(5);
            const { message, userInput } = serviceError(error);
            assert.equal(message, `${NOT_AN_EXECUTION_ARN}: ${printable(hostile)}`);
            assert.equal(userInput, false);
            assert.deepEqual(announced, [], JSON.stringify(hostile));
        }
        // An execution name AWS takes (not ASCII only) passes.
        const accented = EXECUTION.replace(/demo$/, "démo-été");
        answers.StartExecution = () => reply.json({ executionArn: accented, startDate: Date.now() / 1000 });
        const { announced } = await runBriefly(5);
        assert.deepEqual(announced, [accented]);
    });

    it("a DescribeExecution answer without a status (a 200 with an error body, say) fails at once, not taken as RUNNING", async () => {
        answers.DescribeExecution = () => reply.json({ __type: "ThrottlingException", message: "Rate exceeded" });
        const { error, elapsedMs } = await runBriefly(5);
        const { message, userInput } = serviceError(error);
        assert.equal(
            message,
            `${MISSING_STATUS}\n  the execution ${EXECUTION} was started and goes on; follow it with: ${followCommand(EXECUTION)}`,
        );
        assert.equal(userInput, false);
        assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms: it waited for a status that never came`);
    });

    it("a connection reset during the wait is retried, then named, with the execution to follow", async () => {
        answers.DescribeExecution = () => reply.drop();
        const { error, announced } = await runBriefly(5);
        const { message } = serviceError(error);
        assert.deepEqual(announced, [EXECUTION]);
        assert.match(
            message,
            new RegExp(
                `^DescribeExecution failed after ${EXECUTION_CALL_LIMITS.maxAttempts} attempts: the connection was closed without an answer \\(ECONNRESET\\)\\n`,
            ),
        );
        assert.ok(message.includes(followCommand(EXECUTION)));
    });

    it("a history that always returns the same nextToken is cut, with a note", async () => {
        answers.GetExecutionHistory = () => reply.json({ events: onTheWire(history().slice(0, 2)), nextToken: "again" });
        const { view, error } = await runBriefly(5);
        assert.equal(error, undefined);
        assert.equal(endpoint.executionCalls.filter((c) => c.action === "GetExecutionHistory").length, 2);
        assert.match(
            view?.notes?.[0] ?? "",
            /^the history was cut after 4 events: GetExecutionHistory returned a nextToken it had returned before; see the rest with: aws stepfunctions get-execution-history --execution-arn /,
        );
    });

    it("a history that never ends is cut past the events an execution can have", async () => {
        let page = 0;
        answers.GetExecutionHistory = () => reply.json({ events: onTheWire(history().slice(0, 2)), nextToken: `page-${++page}` });
        const { view } = await runBriefly(5, { maxHistoryEvents: 5 });
        assert.equal(page, 3, "2 + 2 + 2 events: the third page passes 5");
        assert.match(
            view?.notes?.[0] ?? "",
            /^the history was cut after 6 events: more than 5 events, the most an execution's history holds/,
        );
        // The bound by default: AWS's limit on an execution's history.
        const check = (nextToken: string | undefined, eventsSoFar: number, msLeft = 1000) =>
            historyPageCheck({
                nextToken,
                seenTokens: new Set(["seen"]),
                eventsSoFar,
                maxEvents: MAX_HISTORY_EVENTS,
                pagesSoFar: 1,
                msLeft,
            });
        assert.equal(check("t", MAX_HISTORY_EVENTS - 1), "next");
        assert.equal(check("t", MAX_HISTORY_EVENTS), "too many events");
        assert.equal(check("seen", 2), "repeated token");
        assert.equal(check("t", 2, 0), "out of time");
        assert.equal(check(undefined, MAX_HISTORY_EVENTS), "done");
    });

    it("a history of no events (a 200 with an error body, say) is named in a note, not shown as an empty table alone", async () => {
        answers.GetExecutionHistory = () => reply.json({ __type: "ThrottlingException", message: "Rate exceeded" });
        const { view, error } = await runBriefly(5);
        assert.equal(error, undefined);
        assert.deepEqual(view?.notes, [
            `${EMPTY_HISTORY}; see it with: aws stepfunctions get-execution-history --execution-arn ${EXECUTION}`,
        ]);
    });

    it("a history whose pages bring nothing but a new nextToken is cut after a bounded number of pages", async () => {
        let pages = 0;
        answers.GetExecutionHistory = () => reply.json({ events: [], nextToken: `empty-${++pages}` });
        // A reading time far longer than the test: only the bound on pages may end it.
        const { view, elapsedMs } = await runBriefly(5, { historyReadMs: 20_000 });
        assert.equal(pages, MAX_HISTORY_PAGES);
        assert.match(view?.notes?.[0] ?? "", new RegExp(`^the history was cut after 0 events: ${MAX_HISTORY_PAGES} pages`));
        assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
        const check = (pagesSoFar: number) =>
            historyPageCheck({ nextToken: "t", seenTokens: new Set(), eventsSoFar: 0, maxEvents: 10, msLeft: 1000, pagesSoFar });
        assert.equal(check(MAX_HISTORY_PAGES - 1), "next");
        assert.equal(check(MAX_HISTORY_PAGES), "too many pages");
    });

    it("leaves missing credentials to the command to explain: no call was sent", async () => {
        const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), {
            name: "CredentialsProviderError",
        });
        const anonymous = createExecutionClient({
            region: "eu-west-1",
            endpoint: endpoint.url,
            credentials: () => Promise.reject(noCredentials),
        });
        try {
            await assert.rejects(
                runDeployedExecution({ client: anonymous, stateMachineArn: MACHINE, name: "demo", input: {}, waitSeconds: 5 }),
                (error) => error === noCredentials,
            );
        } finally {
            anonymous.destroy();
        }
        assert.equal(endpoint.executionCalls.length, 0);
    });

    it("gives a call sent just before the deadline a fair time, and none more than the call limit", () => {
        const limits = { callTimeoutMs: EXECUTION_CALL_LIMITS.callTimeoutMs, minCallMs: EXECUTION_CALL_LIMITS.minCallMs };
        assert.equal(callLimitMs(3, limits), EXECUTION_CALL_LIMITS.minCallMs);
        assert.equal(callLimitMs(-10, limits), EXECUTION_CALL_LIMITS.minCallMs);
        assert.equal(callLimitMs(EXECUTION_CALL_LIMITS.minCallMs + 1, limits), EXECUTION_CALL_LIMITS.minCallMs + 1);
        assert.equal(callLimitMs(900_000, limits), EXECUTION_CALL_LIMITS.callTimeoutMs);
    });

    it("an answer that says the input was wrong is the user's (exit code 2)", async () => {
        answers.StartExecution = () => reply.error("StateMachineDoesNotExist", 400, `State Machine Does Not Exist: '${MACHINE}'`);
        const { error } = await runBriefly(5);
        const { message, userInput } = serviceError(error);
        assert.equal(message, `StartExecution failed: StateMachineDoesNotExist (HTTP 400): State Machine Does Not Exist: '${MACHINE}'`);
        assert.equal(userInput, true);
    });
});

describe("--state-machine-arn", () => {
    it("accepts a state machine's ARN, a version's and an alias's, as StartExecution does", () => {
        for (const arn of [
            MACHINE,
            `${MACHINE}:7`,
            `${MACHINE}:PROD`,
            `${MACHINE}:blue-2.green_1`,
            "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m:1",
        ]) {
            assert.equal(parseExecutionArgs(["--state-machine-arn", arn]).stateMachineArn, arn);
            assert.equal(regionOf(arn), arn.split(":")[3]);
        }
    });

    it("refuses what is not one, naming the formats", () => {
        for (const arn of [
            `${MACHINE}:0`,
            `${MACHINE}:07`,
            `${MACHINE}:PROD:7`,
            `${MACHINE}/mapLabel`,
            `${MACHINE}:`,
            EXECUTION,
            `${MACHINE}:${"a".repeat(81)}`,
        ]) {
            assert.throws(
                () => parseExecutionArgs(["--state-machine-arn", arn]),
                (e: Error) =>
                    e instanceof CliError &&
                    e.message ===
                        `--state-machine-arn ${JSON.stringify(arn)} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME, optionally :VERSION or :ALIAS)`,
                arn,
            );
        }
    });
});
