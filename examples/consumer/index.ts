/**
 * A consumer of the callback-pattern stack: it reads the stack's outputs with a StackReference
 * (`requireOutput`: a renamed or missing output fails the preview instead of passing `undefined`
 * on) and grants a role of its own the right to start executions of the state machine, follow
 * them, and send messages to the queue.
 *
 *   pulumi config set callbackStack my-org/callback-pattern/dev
 *   pulumi up
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { consumerPolicy } from "./consumer-policy";

const config = new pulumi.Config();
/** The callback-pattern stack to read, fully qualified: `<organization>/callback-pattern/<stack>`. */
const callbackStack = config.require("callbackStack");

const callback = new pulumi.StackReference("callback-pattern", { name: callbackStack });
const stateMachineArn = callback.requireOutput("stateMachineArn").apply(String);
const queueArn = callback.requireOutput("queueArn").apply(String);

// The role the consumer's own code runs as (here, a Lambda function of this project).
const role = new aws.iam.Role("consumer", {
    description: "Starts callback-pattern executions and sends to its queue",
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});

new aws.iam.RolePolicy("consumer-callback-access", {
    role: role.id,
    policy: pulumi.all([stateMachineArn, queueArn]).apply(([machine, queue]) => JSON.stringify(consumerPolicy(machine, queue))),
});

export const consumerRoleArn = role.arn;
export const callbackStateMachineArn = stateMachineArn;
