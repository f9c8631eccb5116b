import { strict as assert } from "node:assert";
import validate from "asl-validator";
import {
    buildCallbackDefinition,
    FAILURE_MESSAGE,
    MESSAGE_TITLE,
    STATE_NAMES,
    SUCCESS_MESSAGE,
    type CallbackDefinitionArgs,
} from "../infra/definition";

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
            /taskTimeoutSeconds must be a positive whole number, got 0/,
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
            assert.equal(state.End, true);
            assert.deepEqual(state.Retry?.[0].ErrorEquals, ["States.TaskFailed"]);
        }
        assert.equal(success.Parameters.Message, SUCCESS_MESSAGE);
        assert.equal(SUCCESS_MESSAGE, "Callback received. Task started by Step Functions succeeded.");
        assert.equal(FAILURE_MESSAGE, "Task started by Step Functions failed.");
        assert.equal(
            failure.Parameters["Message.$"],
            "States.Format('Task started by Step Functions failed. Error: {}', States.JsonToString($))",
        );
    });

    it("names the partition in every service integration", () => {
        const { States } = buildCallbackDefinition({ ...args, partition: "aws-us-gov" });
        for (const state of Object.values(States)) assert.match(state.Resource, /^arn:aws-us-gov:states:::/);
    });

    it("has exactly AWS's three states", () => {
        assert.deepEqual(Object.keys(buildCallbackDefinition(args).States).sort(), [
            "Notify Failure",
            "Notify Success",
            "Start Task And Wait For Callback",
        ]);
    });
});
