import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FUNCTION_ENVIRONMENT } from "../functions/callback/settings";
import { buildFunctionArtifact, type FunctionArtifact } from "./function-artifact";
import { functionPolicy, functionTrustPolicy } from "./iam-documents";
import { createServiceRole } from "./service-role";

/** The component's type token: part of the URN of the component and of each of its children. */
export const TASK_TOKEN_FUNCTION_TYPE = "callback-pattern:lambda:TaskTokenFunction";

/**
 * The type tokens the component had before, newest first. As aliases they keep the URNs of the
 * stacks deployed under those names: without them Pulumi would replace the component and every
 * child (function, role, log group, event source mapping) on the next `pulumi up`.
 */
export const FORMER_TASK_TOKEN_FUNCTION_TYPES = [
    // Renamed because it read as Pulumi's own aws.lambda.CallbackFunction (a function from a closure).
    "callback-pattern:lambda:CallbackFunction",
] as const;

/** The arguments of a {@link TaskTokenFunction}. */
export interface TaskTokenFunctionArgs {
    /** ARN of the queue the function consumes. */
    queueArn: pulumi.Input<string>;
    /** ARN of the state machine whose task tokens the function returns. */
    stateMachineArn: pulumi.Input<string>;
    /** Function timeout. */
    timeoutSeconds: pulumi.Input<number>;
    /**
     * The wait task's `HeartbeatSeconds`, when it has one: the function sends heartbeats at a
     * fraction of it while the work for a record runs.
     */
    heartbeatSeconds?: pulumi.Input<number>;
    /** Function memory. */
    memoryMb: pulumi.Input<number>;
    /** Records per invocation (event source mapping). */
    batchSize: pulumi.Input<number>;
    /** How long the event source mapping gathers records before it invokes the function. */
    maxBatchingWindowSeconds: pulumi.Input<number>;
    /** Retention of the function's log group. */
    logRetentionDays: pulumi.Input<number>;
    /** The deployment package; built from `functions/callback` when omitted. */
    artifact?: FunctionArtifact;
    /** Optional permissions boundary of the role (the stack's `permissionsBoundaryArn`). */
    permissionsBoundaryArn?: pulumi.Input<string>;
    /** Tags for the role, log group and function. */
    tags: pulumi.Input<Record<string, string>>;
}

/**
 * The Lambda function that returns task tokens to Step Functions (the pattern's "callback
 * function"): its package, role, log group, and the event source mapping that feeds it from the
 * queue with partial batch responses.
 */
export class TaskTokenFunction extends pulumi.ComponentResource {
    /** The Lambda function. */
    public readonly function: aws.lambda.Function;
    /** The role the function runs as. */
    public readonly role: aws.iam.Role;
    /** The function's log group. */
    public readonly logGroup: aws.cloudwatch.LogGroup;
    /** The mapping that feeds the function from the queue. */
    public readonly eventSourceMapping: aws.lambda.EventSourceMapping;

    constructor(name: string, args: TaskTokenFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
        // An alias on the component is enough for its children: the engine derives each child's
        // former URN from its parent's alias (the SDK does the same for engines without alias specs).
        super(
            TASK_TOKEN_FUNCTION_TYPE,
            name,
            {},
            {
                ...opts,
                aliases: [...(opts?.aliases ?? []), ...FORMER_TASK_TOKEN_FUNCTION_TYPES.map((type) => ({ type }))],
            },
        );

        const artifact = args.artifact ?? buildFunctionArtifact();

        // Created by the stack, with a retention, instead of by Lambda on first write without one.
        this.logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { namePrefix: `/aws/lambda/${name}-`, retentionInDays: args.logRetentionDays, tags: args.tags },
            { parent: this },
        );

        const { role, rolePolicy } = createServiceRole(
            name,
            {
                description: "Runs the callback-pattern callback function",
                trustPolicy: functionTrustPolicy(),
                policy: pulumi
                    .all([args.queueArn, args.stateMachineArn, this.logGroup.arn])
                    .apply(([queueArn, stateMachineArn, logGroupArn]) => functionPolicy({ queueArn, stateMachineArn, logGroupArn })),
                tags: args.tags,
                permissionsBoundary: args.permissionsBoundaryArn,
            },
            this,
        );
        this.role = role;

        this.function = new aws.lambda.Function(
            `${name}-function`,
            {
                description: "Returns Step Functions task tokens received from SQS (callback-pattern)",
                runtime: aws.lambda.Runtime.NodeJS22dX,
                architectures: ["arm64"],
                handler: artifact.handler,
                code: new pulumi.asset.FileArchive(artifact.archivePath),
                // The archive is deterministic and uploaded as it is, so this equals the CodeSha256
                // Lambda reports: it changes only when the code does, and a change made outside
                // Pulumi shows up as a diff.
                codeSha256: artifact.sha256,
                role: this.role.arn,
                timeout: args.timeoutSeconds,
                memorySize: args.memoryMb,
                loggingConfig: {
                    logFormat: "JSON",
                    logGroup: this.logGroup.name,
                    applicationLogLevel: "INFO",
                    // INFO keeps Lambda's START, END and REPORT lines (duration, memory, timeouts);
                    // WARN would drop them.
                    systemLogLevel: "INFO",
                },
                // TASK_QUEUE_ARN: the function answers only records whose source is this queue, so
                // that another queue's event source mapping cannot complete tasks (a direct
                // invocation can forge the source: see README, Permissions).
                // HEARTBEAT_SECONDS: the state machine's HeartbeatSeconds, so that the function keeps
                // a long work's task alive (functions/callback/heartbeats.ts).
                environment: {
                    variables: {
                        POWERTOOLS_SERVICE_NAME: "callback-pattern",
                        [FUNCTION_ENVIRONMENT.taskQueueArn]: args.queueArn,
                        ...(args.heartbeatSeconds !== undefined
                            ? { [FUNCTION_ENVIRONMENT.heartbeatSeconds]: pulumi.output(args.heartbeatSeconds).apply(String) }
                            : {}),
                    },
                },
                tags: args.tags,
            },
            { parent: this },
        );

        this.eventSourceMapping = new aws.lambda.EventSourceMapping(
            `${name}-trigger`,
            {
                eventSourceArn: args.queueArn,
                functionName: this.function.arn,
                batchSize: args.batchSize,
                maximumBatchingWindowInSeconds: args.maxBatchingWindowSeconds,
                // Only the records the handler names are retried; the rest of the batch is deleted.
                functionResponseTypes: ["ReportBatchItemFailures"],
                enabled: true,
                tags: args.tags,
            },
            // CreateEventSourceMapping fails unless the function's role can already read the queue.
            { parent: this, dependsOn: [rolePolicy] },
        );

        this.registerOutputs({
            functionName: this.function.name,
            functionArn: this.function.arn,
            logGroupName: this.logGroup.name,
        });
    }
}
