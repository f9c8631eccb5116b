/** examples/consumer: a project that reads this stack's outputs through a (mocked) StackReference. */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { consumerPolicy, executionsOf, externalProcessPolicy } from "../examples/consumer/consumer-policy";
import { ACCOUNT_ID, REFERENCED_STACK_OUTPUTS, runProgram, valueOf } from "./mocks";

const CONSUMER = { file: path.resolve(__dirname, "..", "examples", "consumer", "index.ts"), project: "callback-consumer" };
const MACHINE = REFERENCED_STACK_OUTPUTS.stateMachineArn as string;
const LAMBDA_TRUST = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

describe("consumer of the stack outputs (examples/consumer)", () => {
    it("reads the outputs of the stack named in its config, and grants its role exactly what it needs with them", async () => {
        const { outputs, recorder } = await runProgram({ callbackStack: "my-org/callback-pattern/prod" }, "dev", undefined, CONSUMER);
        // Its logical name is part of its URN: renaming it would replace the reference.
        const reference = recorder.named("callback-pattern", "pulumi:pulumi:StackReference");
        assert.equal(reference.inputs.name, "my-org/callback-pattern/prod");
        assert.equal(await valueOf(outputs.callbackStateMachineArn), MACHINE);

        assert.equal(recorder.ofType("aws:iam/role:Role").length, 2);
        const role = recorder.named("consumer");
        const policy = recorder.named("consumer-callback-access");
        assert.deepEqual(JSON.parse(String(role.inputs.assumeRolePolicy)), LAMBDA_TRUST);
        assert.equal(policy.inputs.role, role.physicalName);
        assert.deepEqual(JSON.parse(String(policy.inputs.policy)), consumerPolicy(MACHINE));
        assert.equal(await valueOf(outputs.consumerRoleArn), `arn:aws:iam::${ACCOUNT_ID}:role/${role.physicalName}`);
    });

    it("gives the external process of a hand-off a role of its own that may answer the state machine's tasks, and its deadlines", async () => {
        const { outputs, recorder } = await runProgram({ callbackStack: "my-org/callback-pattern/prod" }, "dev", undefined, CONSUMER);
        const role = recorder.named("external-process");
        const policy = recorder.named("external-process-task-answers");
        assert.deepEqual(JSON.parse(String(role.inputs.assumeRolePolicy)), LAMBDA_TRUST);
        assert.equal(policy.inputs.role, role.physicalName);
        assert.deepEqual(JSON.parse(String(policy.inputs.policy)), externalProcessPolicy(MACHINE));
        assert.equal(recorder.ofType("aws:iam/rolePolicy:RolePolicy").length, 2);
        assert.equal(await valueOf(outputs.externalProcessRoleArn), `arn:aws:iam::${ACCOUNT_ID}:role/${role.physicalName}`);
        assert.equal(await valueOf(outputs.callbackTaskTimeoutSeconds), 300);
        assert.equal(await valueOf(outputs.callbackHeartbeatSeconds), 0);
    });

    it("the external process's policy: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat on the state machine only", () => {
        const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:wf";
        assert.deepEqual(externalProcessPolicy(machine), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AnswerHandedOffTasks",
                    Effect: "Allow",
                    Action: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                    Resource: [machine],
                },
            ],
        });
        // Not another workflow's tasks, nor the consumer's rights; and the consumer may not answer tasks.
        for (const arn of [
            "arn:aws:states:eu-west-1:123456789012:stateMachine:*",
            "arn:aws:states:eu-west-1:123456789012:stateMachine:wf*",
            "arn:aws:states:eu-west-1:123456789012:execution:wf:run-1",
            "arn:aws:sqs:eu-west-1:123456789012:q",
            "*",
        ]) {
            assert.throws(() => externalProcessPolicy(arn), /is not a state machine ARN/, arn);
        }
        const consumerActions = consumerPolicy(machine).Statement.flatMap((s) => s.Action);
        assert.deepEqual(
            consumerActions.filter((a) => a.startsWith("states:SendTask")),
            [],
        );
    });

    it("scopes each statement to the state machine and its executions, and grants nothing on the queues", () => {
        const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:wf";
        assert.deepEqual(consumerPolicy(machine).Statement, [
            { Sid: "StartExecutions", Effect: "Allow", Action: ["states:StartExecution"], Resource: [machine] },
            {
                Sid: "FollowExecutions",
                Effect: "Allow",
                Action: ["states:DescribeExecution", "states:GetExecutionHistory"],
                Resource: ["arn:aws:states:eu-west-1:123456789012:execution:wf:*"],
            },
        ]);
        assert.throws(() => executionsOf("arn:aws:sqs:eu-west-1:123456789012:q"), /is not a state machine ARN/);
    });

    it("reads only outputs the stack exports (the output contract)", async () => {
        const { outputs } = await runProgram();
        for (const name of ["stateMachineArn", "taskTimeoutSeconds", "heartbeatSeconds"])
            assert.ok(name in outputs, `the stack exports no ${name}`);
        for (const name of Object.keys(REFERENCED_STACK_OUTPUTS))
            assert.ok(name in outputs, `the mocked reference holds ${name}, which the stack does not export`);
    });

    it("fails when the referenced stack lacks an output it needs (requireOutput)", async () => {
        const saved = REFERENCED_STACK_OUTPUTS.stateMachineArn;
        delete REFERENCED_STACK_OUTPUTS.stateMachineArn;
        // A Pulumi program reports this as the failure of the resource that needed the output.
        const failures: string[] = [];
        const record = (error: unknown) => failures.push(String(error));
        process.on("unhandledRejection", record);
        try {
            const { recorder } = await runProgram({ callbackStack: "my-org/callback-pattern/prod" }, "dev", undefined, CONSUMER);
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.deepEqual(
                recorder.ofType("aws:iam/rolePolicy:RolePolicy"),
                [],
                "the policy was registered without the state machine's ARN",
            );
        } finally {
            process.off("unhandledRejection", record);
            REFERENCED_STACK_OUTPUTS.stateMachineArn = saved;
        }
        assert.ok(failures.length > 0, "nothing failed");
        for (const failure of failures)
            assert.match(failure, /Required output 'stateMachineArn' does not exist on stack 'my-org\/callback-pattern\/prod'/);
    });

    it("fails without the stack to read", async () => {
        await assert.rejects(
            runProgram({}, "dev", undefined, CONSUMER),
            /Missing required configuration variable 'callback-consumer:callbackStack'/,
        );
    });
});
