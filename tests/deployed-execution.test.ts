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
import { readPulumiStackOutputs, regionOf, resolveStateMachineArn, runDeployedExecution } from "../commands/deployed-execution";
import { renderExecution } from "../view/execution-view";
import { MESSAGE_TITLE, STATE_NAMES, SUCCESS_MESSAGE } from "../infra/definition";

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
