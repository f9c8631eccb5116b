import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import validate from "asl-validator";
import {
    ExecutionError,
    ExecutionTimeoutError,
    StateMachine,
    type StateMachineDefinition as LocalDefinition,
} from "aws-local-stepfunctions";
import {
    buildCallbackDefinition,
    executionTimeoutSeconds,
    FAILURE_MESSAGE,
    MAX_EXECUTION_SECONDS,
    MAX_TASK_TIMEOUT_SECONDS,
    MESSAGE_TITLE,
    NOTIFY_RETRY,
    NOTIFY_TIMEOUT_SECONDS,
    notifyBudgetSeconds,
    STATE_NAMES,
    SUCCESS_MESSAGE,
    UNNAMED_FAILURE_ERROR,
    type CallbackDefinitionArgs,
    type StateMachineDefinition,
} from "../infra/definition";
import { rememberValidated, wasValidated } from "../local/validated-definitions";
import { sideBySide } from "./support/side-by-side";

const args: CallbackDefinitionArgs = {
    partition: "aws",
    queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks",
    topicArn: "arn:aws:sns:eu-west-1:123456789012:notifications",
    taskTimeoutSeconds: 300,
};

describe("state machine definition", () => {
    it("is valid Amazon States Language", () => {
        for (const variant of [args, { ...args, heartbeatSeconds: 30 }, { ...args, partition: "aws-cn" }]) {
            const result = validate(JSON.parse(JSON.stringify(buildCallbackDefinition(variant))));
            assert.ok(result.isValid, result.errorsText());
        }
    });

    it("the validator does reject a broken definition (so the check above can fail)", () => {
        const broken = buildCallbackDefinition(args);
        broken.States[STATE_NAMES.waitForCallback].Next = "No Such State";
        assert.equal(validate(JSON.parse(JSON.stringify(broken))).isValid, false);
    });

    it("starts by sending the task token, a title and the input to the queue, then waits", () => {
        const definition = buildCallbackDefinition(args);
        assert.equal(definition.StartAt, "Start Task And Wait For Callback");
        const wait = definition.States[definition.StartAt];
        assert.equal(wait.Type, "Task");
        assert.equal(wait.Resource, "arn:aws:states:::sqs:sendMessage.waitForTaskToken");
        assert.deepEqual(wait.Parameters, {
            QueueUrl: args.queueUrl,
            MessageBody: {
                MessageTitle: MESSAGE_TITLE,
                "TaskToken.$": "$$.Task.Token",
                "ExecutionId.$": "$$.Execution.Id",
                "Input.$": "$",
            },
        });
        assert.equal(wait.Next, "Notify Success");
    });

    it("never waits longer than the configured timeout; heartbeat only when configured", () => {
        const plain = buildCallbackDefinition(args).States[STATE_NAMES.waitForCallback];
        assert.equal(plain.TimeoutSeconds, 300);
        assert.equal("HeartbeatSeconds" in plain, false);
        const beating = buildCallbackDefinition({ ...args, taskTimeoutSeconds: 900, heartbeatSeconds: 60 }).States[
            STATE_NAMES.waitForCallback
        ];
        assert.equal(beating.TimeoutSeconds, 900);
        assert.equal(beating.HeartbeatSeconds, 60);
    });

    it("refuses a heartbeat that is not below the timeout, and a timeout that is not positive", () => {
        assert.throws(
            () => buildCallbackDefinition({ ...args, heartbeatSeconds: 300 }),
            /heartbeatSeconds must be .* below taskTimeoutSeconds \(300\), got 300/,
        );
        assert.throws(
            () => buildCallbackDefinition({ ...args, taskTimeoutSeconds: 0 }),
            new RegExp(`taskTimeoutSeconds must be a whole number from 1 to ${MAX_TASK_TIMEOUT_SECONDS}, got 0`),
        );
    });

    it("catches every error, timeouts included, into Notify Failure with the error object as its input", () => {
        const wait = buildCallbackDefinition(args).States[STATE_NAMES.waitForCallback];
        assert.deepEqual(wait.Catch, [{ ErrorEquals: ["States.ALL"], Next: "Notify Failure" }]);
    });

    it("publishes AWS's messages to the topic; the failure names the error", () => {
        const { States } = buildCallbackDefinition(args);
        const success = States["Notify Success"];
        const failure = States["Notify Failure"];
        for (const state of [success, failure]) {
            assert.equal(state.Resource, "arn:aws:states:::sns:publish");
            assert.equal(state.Parameters.TopicArn, args.topicArn);
            assert.equal(state.TimeoutSeconds, NOTIFY_TIMEOUT_SECONDS);
            assert.deepEqual(state.Retry, [NOTIFY_RETRY]);
        }
        assert.equal(success.End, true);
        assert.equal(success.Parameters.Message, SUCCESS_MESSAGE);
        assert.equal(SUCCESS_MESSAGE, "Callback received. Task started by Step Functions succeeded.");
        assert.equal(FAILURE_MESSAGE, "Task started by Step Functions failed.");
        assert.equal(
            failure.Parameters["Message.$"],
            "States.Format('Task started by Step Functions failed. Error: {}', States.JsonToString($))",
        );
        // The failure path goes on to fail the execution, keeping the error object (not the publish result).
        assert.equal(failure.End, undefined);
        assert.equal(failure.ResultPath, null);
        assert.equal(failure.Next, STATE_NAMES.checkFailure);
    });

    it("names the partition in every service integration", () => {
        const { States } = buildCallbackDefinition({ ...args, partition: "aws-us-gov" });
        const tasks = Object.values(States).filter((state) => state.Type === "Task");
        assert.equal(tasks.length, 3);
        for (const state of tasks) assert.match(state.Resource, /^arn:aws-us-gov:states:::/);
    });

    it("has AWS's three states, then a choice and the Fail states that end a failed execution", () => {
        assert.deepEqual(
            Object.entries(buildCallbackDefinition(args).States).map(([name, state]) => `${state.Type} ${name}`),
            [
                "Task Start Task And Wait For Callback",
                "Task Notify Success",
                "Task Notify Failure",
                "Choice Check Failure",
                "Fail Task Failed",
                "Fail Task Failed Without Cause",
                "Fail Task Failed Without Error Name",
            ],
        );
    });

    describe("execution deadline", () => {
        it("is the wait task's timeout plus the longest a notify state can take, plus slack", () => {
            // 4 attempts of 10 s each, with 1 + 2 + 4 s between them.
            assert.equal(notifyBudgetSeconds({ ErrorEquals: [], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }, 10), 47);
            assert.equal(notifyBudgetSeconds({ ErrorEquals: [], IntervalSeconds: 2, MaxAttempts: 0, BackoffRate: 2 }, 5), 5);
            const definition = buildCallbackDefinition(args);
            assert.equal(definition.TimeoutSeconds, executionTimeoutSeconds(args.taskTimeoutSeconds));
            assert.ok(definition.TimeoutSeconds >= args.taskTimeoutSeconds + notifyBudgetSeconds());
        });

        it("fits within a Standard execution's year at the longest task timeout; one second more is refused", () => {
            assert.equal(
                buildCallbackDefinition({ ...args, taskTimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS }).TimeoutSeconds,
                MAX_EXECUTION_SECONDS,
            );
            assert.throws(() => buildCallbackDefinition({ ...args, taskTimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS + 1 }), RangeError);
        });
    });

    it("the docs give the deadline and the longest task timeout as the code derives them", () => {
        const doc = (file: string) => fs.readFileSync(path.join(__dirname, "..", file), "utf8");
        const readme = doc("README.md");
        const decisions = doc("docs/design-decisions.md");
        const extra = executionTimeoutSeconds(0);
        assert.ok(decisions.includes(`is \`taskTimeoutSeconds\` + ${extra} s`), "What it deploys: the deadline");
        assert.ok(doc("docs/operations.md").includes(`deadline, \`taskTimeoutSeconds\` + ${extra} s`), "Alarms: executions-timed-out");
        assert.ok(readme.includes(`| 1 – ${MAX_TASK_TIMEOUT_SECONDS} (a year less the ${extra} s`), "Configuration: taskTimeoutSeconds");
        assert.ok(
            decisions.includes(
                `each publish attempt times out after ${NOTIFY_TIMEOUT_SECONDS} s and is retried ${NOTIFY_RETRY.MaxAttempts} times`,
            ),
        );
    });

    describe("run by aws-local-stepfunctions", () => {
        type Outcome = { status: "SUCCEEDED" | "FAILED" | "TIMED_OUT"; error?: string; cause?: string; published: string[] };

        /** Runs the definition with the wait task answered by `callback` and the publishes recorded. */
        async function run(
            input: unknown,
            callback: () => Promise<unknown>,
            options: { publishFails?: boolean; definition?: StateMachineDefinition; partial?: boolean } = {},
        ): Promise<Outcome> {
            const definition = options.definition ?? buildCallbackDefinition({ ...args, taskTimeoutSeconds: 1 });
            // A partial definition (the tail of the real one) leaves states unreachable: skip that check for it.
            // A definition validated once is not validated again (each time compiles the schema anew),
            // as in the local run (validated-definitions.ts).
            const text = JSON.stringify(definition);
            const validationOptions = { checkArn: false, noValidate: options.partial === true || wasValidated(text) };
            const machine = new StateMachine(definition as unknown as LocalDefinition, { validationOptions });
            if (options.partial !== true) rememberValidated(text);
            const published: string[] = [];
            const publish = async (parameters: { Message: string }) => {
                if (options.publishFails) throw Object.assign(new Error("SNS is down"), { name: "SNS.InternalErrorException" });
                published.push(parameters.Message);
                return { MessageId: "m" };
            };
            const execution = machine.run(input as never, {
                context: { Task: { Token: "token" }, Execution: { Id: "arn:aws:states:eu-west-1:123456789012:execution:m:e" } } as never,
                overrides: {
                    taskResourceLocalHandlers: {
                        [STATE_NAMES.waitForCallback]: callback as never,
                        [STATE_NAMES.notifySuccess]: publish as never,
                        [STATE_NAMES.notifyFailure]: publish as never,
                    },
                    // The retries' waits (1 + 2 + 4 s) are not what these tests are about.
                    retryIntervalOverrides: { [STATE_NAMES.notifyFailure]: 0, [STATE_NAMES.notifySuccess]: 0 },
                },
            });
            try {
                await execution.result;
                return { status: "SUCCEEDED", published };
            } catch (error) {
                if (error instanceof ExecutionTimeoutError) return { status: "TIMED_OUT", published };
                assert.ok(error instanceof ExecutionError, String(error));
                const inner = (error as { cause?: Error }).cause;
                return { status: "FAILED", error: inner?.name, cause: inner?.message, published };
            }
        }
        /** Notify Success whose first attempt hangs and second fails: what it ends with, and each attempt. */
        async function publishRetries(): Promise<{ result: unknown; attempts: string[] }> {
            // The builder's states with one-second attempts (the real ones allow 10 s), to see a hung attempt retried.
            const quick = buildCallbackDefinition({ ...args, taskTimeoutSeconds: 1 });
            quick.States[STATE_NAMES.notifySuccess].TimeoutSeconds = 1;
            const attempts: string[] = [];
            const machine = new StateMachine(quick as unknown as LocalDefinition, { validationOptions: { checkArn: false } });
            const execution = machine.run({} as never, {
                context: { Task: { Token: "t" }, Execution: { Id: "arn:aws:states:eu-west-1:123456789012:execution:m:e" } } as never,
                overrides: {
                    taskResourceLocalHandlers: {
                        [STATE_NAMES.waitForCallback]: (async () => ({})) as never,
                        [STATE_NAMES.notifySuccess]: (async () => {
                            attempts.push(attempts.length === 0 ? "hangs" : attempts.length === 1 ? "fails" : "publishes");
                            if (attempts.length === 1) return new Promise(() => undefined);
                            if (attempts.length === 2) throw Object.assign(new Error("busy"), { name: "SNS.ThrottledException" });
                            return { MessageId: "m" };
                        }) as never,
                    },
                    retryIntervalOverrides: { [STATE_NAMES.notifySuccess]: 0 },
                },
            });
            return { result: await execution.result, attempts };
        }
        const rejects = (name: string, cause: string) => () => Promise.reject(Object.assign(new Error(cause), { name }));

        it("succeeds when the callback returns output", async () => {
            const outcome = await run({ order: 1 }, async () => ({ approved: true }));
            assert.deepEqual(outcome, { status: "SUCCEEDED", published: [SUCCESS_MESSAGE] });
        });

        for (const input of [{ order: 1 }, 42, "text", [1, 2], true]) {
            it(`fails with the work's error and cause after Notify Failure (input ${JSON.stringify(input)})`, async () => {
                const outcome = await run(input, rejects("TaskRejected", "out of stock"));
                assert.deepEqual(outcome, {
                    status: "FAILED",
                    error: "TaskRejected",
                    cause: "out of stock",
                    published: [`${FAILURE_MESSAGE} Error: {"Error":"TaskRejected","Cause":"out of stock"}`],
                });
            });
        }

        // The runs that wait for a one-second timer, started side by side (`support/side-by-side.ts`).
        const timed = sideBySide({
            noCallback: () => run({}, () => new Promise(() => undefined)),
            publishRetries,
            executionDeadline: () => {
                const definition = { ...buildCallbackDefinition({ ...args, taskTimeoutSeconds: 5 }), TimeoutSeconds: 1 };
                return run({}, () => new Promise(() => undefined), { definition });
            },
        });

        it("fails with States.Timeout when no callback comes", async () => {
            const outcome = await timed.noCallback();
            assert.equal(outcome.status, "FAILED");
            assert.equal(outcome.error, "States.Timeout");
            assert.equal(outcome.published.length, 1);
        });

        it("tries a publish again when an attempt fails or hangs, up to the retry's attempts", async () => {
            const { result, attempts } = await timed.publishRetries();
            assert.deepEqual(result, { MessageId: "m" });
            assert.deepEqual(attempts, ["hangs", "fails", "publishes"]);
        });

        it("still fails with the task's error when the failure notice cannot be published", async () => {
            const outcome = await run({}, rejects("TaskRejected", "out of stock"), { publishFails: true });
            assert.deepEqual(outcome, { status: "FAILED", error: "TaskRejected", cause: "out of stock", published: [] });
        });

        it("fails with the error alone when the callback gave no cause, and with a named error when it gave none", async () => {
            const noCause = buildCallbackDefinition({ ...args, taskTimeoutSeconds: 1 });
            // SendTaskFailure may leave out its cause (or its error): the Fail state must not read a missing path.
            const check = noCause.States[STATE_NAMES.checkFailure];
            assert.equal(check.Default, STATE_NAMES.failWithCause);
            assert.deepEqual(noCause.States[STATE_NAMES.failWithoutCause], { Type: "Fail", ErrorPath: "$.Error" });
            assert.equal(noCause.States[STATE_NAMES.failUnnamed].Error, UNNAMED_FAILURE_ERROR);
            // Run the choice on every shape an error object might take: each ends with a usable error.
            const unnamed = { error: UNNAMED_FAILURE_ERROR, cause: noCause.States[STATE_NAMES.failUnnamed].Cause };
            for (const [errorObject, expected] of [
                [
                    { Error: "TaskRejected", Cause: "out of stock" },
                    { error: "TaskRejected", cause: "out of stock" },
                ],
                [
                    { Error: "States.Timeout", Cause: "" },
                    { error: "States.Timeout", cause: "" },
                ],
                // No cause (or not a string): the interpreter words the missing cause itself; AWS leaves it out.
                [{ Error: "TaskRejected" }, { error: "TaskRejected", cause: undefined }],
                [
                    { Error: "TaskRejected", Cause: null },
                    { error: "TaskRejected", cause: undefined },
                ],
                [
                    { Error: "TaskRejected", Cause: 42 },
                    { error: "TaskRejected", cause: undefined },
                ],
                [{}, unnamed],
                [{ Error: null, Cause: "c" }, unnamed],
                [{ Error: 5 }, unnamed],
                [{ Error: "" }, unnamed],
            ] as const) {
                const tail = { ...noCause, StartAt: STATE_NAMES.checkFailure };
                const outcome = await run(errorObject, rejects("unused", "unused"), { definition: tail, partial: true });
                assert.equal(outcome.status, "FAILED");
                assert.equal(outcome.error, expected.error);
                if (expected.cause !== undefined) assert.equal(outcome.cause, expected.cause);
            }
        });

        it("times out at the execution deadline when something holds the execution past every state's bound", async () => {
            const outcome = await timed.executionDeadline();
            assert.equal(outcome.status, "TIMED_OUT");
        });
    });
});
