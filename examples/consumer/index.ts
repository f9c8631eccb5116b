/**
 * A consumer of the callback-pattern stack: it reads the stack's outputs with a StackReference
 * (`requireOutput`: a renamed or missing output fails the preview instead of passing `undefined`
 * on) and grants a role of its own the right to start executions of the state machine and to
 * follow them (status, history, output). It gets no access to the task queue: only the state
 * machine may send to it.
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

// The role the consumer's own code runs as (here, a Lambda function of this project).
const role = new aws.iam.Role("consumer", {
    description: "Starts and follows callback-pattern executions",
    assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
});

new aws.iam.RolePolicy("consumer-callback-access", {
    role: role.id,
    policy: stateMachineArn.apply((machine) => JSON.stringify(consumerPolicy(machine))),
});

export const consumerRoleArn = role.arn;
export const callbackStateMachineArn = stateMachineArn;
