/**
 * The stack's outputs, declared once: their names (a public contract: other projects read them
 * with StackReference), what each holds, its type, and when it is a secret. The component's
 * `outputs` and its `registerOutputs`, `index.ts`'s exports, the README's table and the contract
 * test all follow from `STACK_OUTPUTS`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CallbackPatternSettings } from "./config";
import { markdownRow, markdownTable } from "./markdown-table";

/** One stack output: what it holds, its value's type, and whether it can be a secret. */
export interface StackOutputDeclaration {
    /** What the output holds, in Markdown: a row of the README's table (links relative to the README). */
    readonly description: string;
    /** Its value's type once resolved. */
    readonly type: "string" | "number";
    /**
     * The setting the output carries as it is, when there is one: the output is a secret exactly
     * when that setting was set as a secret (`pulumi config set --secret`). Without it the output
     * is never a secret: it names a resource, which is no secret in AWS either.
     */
    readonly secretWhenSettingIs?: keyof CallbackPatternSettings;
}

/** Every stack output, in the order the README lists them. */
export const STACK_OUTPUTS = {
    stateMachineArn: { type: "string", description: "ARN of the state machine (start executions with it)" },
    stateMachineName: { type: "string", description: "name of the state machine" },
    stateMachineLogGroupName: { type: "string", description: "the state machine's CloudWatch log group" },
    queueUrl: { type: "string", description: "URL of the task queue" },
    queueArn: { type: "string", description: "ARN of the task queue" },
    deadLetterQueueUrl: { type: "string", description: "URL of the dead-letter queue" },
    deadLetterQueueArn: { type: "string", description: "ARN of the dead-letter queue" },
    topicArn: { type: "string", description: "ARN of the notification topic" },
    callbackFunctionName: { type: "string", description: "name of the callback Lambda function" },
    callbackFunctionArn: { type: "string", description: "ARN of the callback Lambda function" },
    callbackFunctionLogGroupName: { type: "string", description: "the callback function's CloudWatch log group" },
    operationsTopicArn: {
        type: "string",
        description: "ARN of the operations topic that the alarms notify (subscribe your paging here)",
    },
    taskTimeoutSeconds: {
        type: "number",
        description:
            "the wait task's `TimeoutSeconds`: how long an [external process](docs/callback-function.md#hand-off-to-an-external-process) has, from the task's start, to return the token",
        secretWhenSettingIs: "taskTimeoutSeconds",
    },
    heartbeatSeconds: {
        type: "number",
        description:
            "the wait task's `HeartbeatSeconds`: the longest an external process may go without an answer or a `SendTaskHeartbeat`; `0` when no heartbeat is configured",
        secretWhenSettingIs: "heartbeatSeconds",
    },
} as const satisfies Record<string, StackOutputDeclaration>;

/** The name of a stack output. */
export type StackOutputName = keyof typeof STACK_OUTPUTS;

/** The names of the stack outputs, in declaration order. */
export const STACK_OUTPUT_NAMES = Object.keys(STACK_OUTPUTS) as StackOutputName[];

type ValueOf<D extends StackOutputDeclaration> = D["type"] extends "number" ? number : string;

/** The stack outputs' values: one Pulumi output of the declared type for each declared name. */
export type StackOutputs = { readonly [K in StackOutputName]: pulumi.Output<ValueOf<(typeof STACK_OUTPUTS)[K]>> };

/** What the README's table says of an output besides its description: its type and when it is a secret. */
function qualifiers(declaration: StackOutputDeclaration): string {
    const notes = [
        ...(declaration.type === "string" ? [] : [`a ${declaration.type}`]),
        ...(declaration.secretWhenSettingIs === undefined ? [] : ["a secret when the setting is"]),
    ];
    return notes.length === 0 ? "" : ` (${notes.join("; ")})`;
}

/** The outputs table's columns. */
const STACK_OUTPUTS_COLUMNS = ["Output", "Value"];

/** The outputs table's header row: how the README's table is found. */
export const STACK_OUTPUTS_TABLE_HEADER = markdownRow(STACK_OUTPUTS_COLUMNS);

/**
 * The README's "Stack outputs" table (Markdown), made from `STACK_OUTPUTS`: a test checks that
 * the README holds exactly this, so the table cannot drift from the code.
 */
export function stackOutputsTable(outputs: Readonly<Record<string, StackOutputDeclaration>> = STACK_OUTPUTS): string {
    return markdownTable(
        STACK_OUTPUTS_COLUMNS,
        Object.entries(outputs).map(([name, declaration]) => [`\`${name}\``, declaration.description + qualifiers(declaration)]),
    );
}
