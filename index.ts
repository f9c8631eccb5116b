/**
 * The callback-pattern stack: reads and validates this stack's config, builds the components, and
 * exports the outputs other projects read with StackReference (a public contract: see README).
 */
import * as pulumi from "@pulumi/pulumi";
import { CallbackPattern } from "./infra/callback-pattern";
import { ConfigError, parseSettings, settingsWarnings } from "./infra/config";
import { COMPONENT_NAME } from "./infra/deploy-policy";

const project = pulumi.getProject();
const stack = pulumi.getStack();

/** Every value set under this project's namespace, keyed without the namespace. */
function projectConfig(): Record<string, string> {
    const prefix = `${project}:`;
    return Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

function loadSettings() {
    try {
        return parseSettings(project, projectConfig());
    } catch (error) {
        // RunError: Pulumi prints the message alone, without a stack trace of this program.
        if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
        throw error;
    }
}

const settings = loadSettings();
for (const warning of settingsWarnings(project, settings)) pulumi.log.warn(warning);

// The deploy policy is scoped to the names that start with COMPONENT_NAME (infra/deploy-policy.ts).
const pattern = new CallbackPattern(COMPONENT_NAME, {
    ...settings,
    stackName: stack,
    // The stack's own tags come last: a user tag cannot hide which stack owns a resource.
    tags: { ...settings.tags, "pulumi:project": project, "pulumi:stack": stack },
});

export const stateMachineArn = pattern.stateMachineArn;
export const stateMachineName = pattern.stateMachineName;
export const stateMachineLogGroupName = pattern.stateMachineLogGroupName;
export const queueUrl = pattern.queueUrl;
export const queueArn = pattern.queueArn;
export const deadLetterQueueUrl = pattern.deadLetterQueueUrl;
export const deadLetterQueueArn = pattern.deadLetterQueueArn;
export const topicArn = pattern.topicArn;
export const callbackFunctionName = pattern.callbackFunctionName;
export const callbackFunctionArn = pattern.callbackFunctionArn;
export const callbackFunctionLogGroupName = pattern.callbackFunctionLogGroupName;
export const operationsTopicArn = pattern.operationsTopicArn;
