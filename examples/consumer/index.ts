/**
 * A consumer of the callback-pattern stack: it reads the stack's outputs with a StackReference
 * (`requireOutput`: a renamed or missing output fails the preview instead of passing `undefined`
 * on) and grants a role of its own the right to start executions of the state machine and to
 * follow them (status, history, output). It gets no access to the task queue: only the state
 * machine may send to it.
 *
 * A second role is for the external process of a hand-off: whatever completes a task that the
 * callback function handed off (a partner system, an approval, a long job) and returns its token
 * later. It may send SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat for this state
 * machine's tasks, and nothing else; the stack's deadlines, which it must meet, are exported beside it.
 *
 *   pulumi config set callbackStack my-org/callback-pattern/dev
 *   pulumi up
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { consumerPolicy, externalProcessPolicy } from "./consumer-policy";

const config = new pulumi.Config();
/** The callback-pattern stack to read, fully qualified: `<organization>/callback-pattern/<stack>`. */
const callbackStack = config.require("callbackStack");

const callback = new pulumi.StackReference("callback-pattern", { name: callbackStack });
const stateMachineArn = callback.requireOutput("stateMachineArn").apply(String);

/** Trusted by Lambda: the code of this project that uses each role runs as a Lambda function. */
const lambdaTrust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

// The role the consumer's own code runs as (here, a Lambda function of this project).
const role = new aws.iam.Role("consumer", {
    description: "Starts and follows callback-pattern executions",
    assumeRolePolicy: lambdaTrust,
});

new aws.iam.RolePolicy("consumer-callback-access", {
    role: role.id,
    policy: stateMachineArn.apply((machine) => JSON.stringify(consumerPolicy(machine))),
});

// The role the external process runs as. Trusted here by Lambda; for a job elsewhere trust its
// service instead (ecs-tasks.amazonaws.com, …), or a partner's account with an sts:ExternalId condition.
const externalProcessRole = new aws.iam.Role("external-process", {
    description: "Returns the task tokens of callback-pattern tasks handed off to it",
    assumeRolePolicy: lambdaTrust,
});

new aws.iam.RolePolicy("external-process-task-answers", {
    role: externalProcessRole.id,
    policy: stateMachineArn.apply((machine) => JSON.stringify(externalProcessPolicy(machine))),
});

export const consumerRoleArn = role.arn;
export const externalProcessRoleArn = externalProcessRole.arn;
export const callbackStateMachineArn = stateMachineArn;
// The external process's deadlines, counted from the task's start: an answer within
// taskTimeoutSeconds, and an answer or a heartbeat every heartbeatSeconds (0: no heartbeat needed).
// Secrets when the stack's settings are.
export const callbackTaskTimeoutSeconds = callback.requireOutput("taskTimeoutSeconds");
export const callbackHeartbeatSeconds = callback.requireOutput("heartbeatSeconds");
