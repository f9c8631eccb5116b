/**
 * The callback pattern on this machine, without AWS: the state machine definition the stack
 * deploys (built by `infra/definition.ts` from the stack's settings) runs in the
 * `aws-local-stepfunctions` interpreter; only its service integrations are replaced:
 * - the SQS send with task token puts the message on an in-process queue ({@link LocalQueue}) that
 *   delivers SQS events to the bundled callback function, the very archive `pulumi up` uploads;
 * - the function's SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat go through the real
 *   `@aws-sdk/client-sfn` to a Step Functions endpoint on loopback, which resumes the waiting task;
 * - SNS publishes are captured and shown.
 * In the `handoff` scenario the function is built with a hand-off work (`handoff-function.ts`): it
 * gives the token to a partner's API on loopback (`partner-api.ts`), which answers the task later
 * through the code `npm run callback` uses (`task-token-answer.ts`).
 */
import { createHash, randomUUID } from "node:crypto";
import { SFNClient } from "@aws-sdk/client-sfn";
import { heartbeatIntervalMs } from "../functions/callback/heartbeats";
import type { StateMachine, StateMachineDefinition as LocalDefinition } from "aws-local-stepfunctions";
import { MAX_BATCH_SIZE_WITHOUT_WINDOW, queueVisibilityTimeoutSeconds, type CallbackPatternSettings } from "../infra/config";
import { buildCallbackDefinition, STATE_NAMES, type TaskState } from "../infra/definition";
import { bundledCode, functionEnvironment, HANDOFF_FUNCTION_ENTRY } from "./bundled-handler";
import { EnvironmentPool, type PoolFigures } from "./execution-environments";
import { loadInterpreter } from "./long-timers";
import { PartnerApi, PARTNER_URL_VARIABLE, type PartnerTask } from "./partner-api";
import { viewFromHistory, type ExecutionStatus, type ExecutionView, type QueueActivity } from "../view/execution-view";
import { LocalQueue, type QueueEvent } from "./local-queue";
import { StepFunctionsEndpoint } from "./step-functions-endpoint";
import { PARTNER_WORK_MS, type ScenarioDelivery } from "./scenarios";
import {
    ANSWER_CLIENT_TIMEOUTS,
    assertTaskAnswerSent,
    checkTaskOutput,
    sendTaskAnswer,
    TaskAnswerInputError,
} from "../commands/task-token-answer";
import { TaskTokens } from "./task-tokens";
import { rememberValidated, wasValidated } from "./validated-definitions";
import "./falsy-root-input"; // the interpreter reads 0, false, "" and null as inputs, as Step Functions does
import { buildHistory, type InterpreterEvent, type TaskCall } from "./execution-history";

/** The local run's names for the resources the stack would create. */
const LOCAL = {
    region: "local",
    account: "000000000000",
    stateMachineName: "callback-pattern-local",
    queueUrl: "local://callback-pattern/tasks",
    queueArn: "arn:aws:sqs:local:000000000000:callback-pattern-tasks",
    topicArn: "arn:aws:sns:local:000000000000:callback-pattern-notifications",
};

/**
 * The most calls the function's environments together keep in flight against the loopback
 * endpoint (environments × records per batch). The endpoint, the queue and the interpreter share
 * the main thread: with 1000 executions at once and 100 environments (1000 calls in flight) calls
 * waited there past the client's 1 s connection and 1.5 s request timeouts, the records came back,
 * and with the short local redelivery delay they reached maxReceiveCount within a second or two:
 * dead-lettered, their tasks waited out TimeoutSeconds. Measured on 2 cores, 3000 executions, 1000
 * at a time: 5 or 10 environments ran 1100 executions/s with no returned record; 20, 350/s; 50,
 * 330/s with 142 calls retried after a timeout; 100, 200 to 300/s with records returned.
 */
export const LOCAL_CALLS_IN_FLIGHT = 100;

/** Lambda's smallest maximum concurrency of an SQS event source mapping. */
export const MIN_MAX_CONCURRENT_BATCHES = 2;

/**
 * The records in one of the local queue's batches for a stack's `batchSize`: at most what Lambda
 * takes without a batching window, since the window that larger batches need is not simulated.
 */
export function localBatchSize(batchSize: number): number {
    return Math.min(batchSize, MAX_BATCH_SIZE_WITHOUT_WINDOW);
}

/**
 * The event source mapping's maximum concurrency for a run of `executionsAtOnce` executions at a
 * time: a full batch each (`batchSize`), at least Lambda's minimum of 2, at most what keeps
 * {@link LOCAL_CALLS_IN_FLIGHT}; beyond it messages wait on the queue, where nothing times out.
 */
export function defaultMaxConcurrentBatches(executionsAtOnce: number, batchSize: number): number {
    const perBatch = Math.max(1, localBatchSize(batchSize));
    const limit = Math.max(MIN_MAX_CONCURRENT_BATCHES, Math.floor(LOCAL_CALLS_IN_FLIGHT / perBatch));
    return Math.min(limit, Math.max(MIN_MAX_CONCURRENT_BATCHES, Math.ceil(executionsAtOnce / perBatch)));
}

export interface LocalWorkflowOptions {
    /** The stack's settings (from its `Pulumi.<stack>.yaml`). */
    settings: CallbackPatternSettings;
    /** Shown as the view's source. */
    source: string;
    /** Overrides `taskTimeoutSeconds` in the definition (the timeout and poison scenarios shorten it). */
    taskTimeoutSeconds?: number;
    /** Delay before a failed message is delivered again (the visibility timeout, shortened). */
    redeliveryDelayMs?: number;
    /**
     * The event source mapping's maximum concurrency: batches in flight at once, and so the most
     * execution environments of the function alive at once; for one execution at a time
     * ({@link defaultMaxConcurrentBatches}) when omitted.
     */
    maxConcurrentBatches?: number;
    /**
     * Run the function with a work that hands every task off to a partner's API on loopback, which
     * answers after `PARTNER_WORK_MS` (the `handoff` scenario).
     */
    handOff?: boolean;
    /** How long the partner works on a handed-off task before it answers; `PARTNER_WORK_MS` when omitted. */
    partnerWorkMs?: number;
}

/** The partner of the `handoff` scenario, and what it needs to answer tasks. */
interface Partner {
    api: PartnerApi;
    client: SFNClient;
    /** What went wrong when the partner answered, by task token, for the execution's notes. */
    errors: Map<string, string>;
    /** Heartbeats the partner sent, by token. */
    heartbeats: Map<string, number>;
    /** How long it works on a task before it answers. */
    workMs: number;
}

export class LocalWorkflow {
    /** The function's log lines not yet taken by {@link functionLogs}, from every environment. */
    private logLines: string[] = [];
    private closed = false;
    /** The definition this run executes: the stack's, built by `infra/definition.ts`. */
    public readonly definition: LocalDefinition;
    private readonly machine: StateMachine;
    /** The wait task's TimeoutSeconds in this run. */
    public readonly timeoutSeconds: number;
    /** The wait task's HeartbeatSeconds in this run: the stack's, unless it is not below the timeout. */
    public readonly heartbeatSeconds?: number;

    private constructor(
        private readonly options: LocalWorkflowOptions,
        private readonly tokens: TaskTokens,
        private readonly endpoint: StepFunctionsEndpoint,
        private readonly queue: LocalQueue,
        /** The queue's events by message, until the execution that sent the message takes them. */
        private readonly queueEvents: Map<string, QueueEvent[]>,
        private readonly environments: EnvironmentPool,
        private readonly partner?: Partner,
    ) {
        const timeoutSeconds = options.taskTimeoutSeconds ?? options.settings.taskTimeoutSeconds;
        const heartbeat = options.settings.heartbeatSeconds;
        this.timeoutSeconds = timeoutSeconds;
        this.heartbeatSeconds = heartbeat !== undefined && heartbeat < timeoutSeconds ? heartbeat : undefined;
        const definition = buildCallbackDefinition({
            partition: "aws",
            queueUrl: LOCAL.queueUrl,
            topicArn: LOCAL.topicArn,
            taskTimeoutSeconds: timeoutSeconds,
            heartbeatSeconds: this.heartbeatSeconds,
        });
        this.definition = definition as unknown as LocalDefinition;
        // Built (and validated) once; every execution runs it anew.
        // The interpreter's copy with timers that hold any TimeoutSeconds (see long-timers.ts).
        // Its validation compiles asl-validator's JSON schema anew every time (100 to 250 ms of
        // CPU): a definition already validated is not validated again (validated-definitions.ts).
        const text = JSON.stringify(definition);
        this.machine = new (loadInterpreter().StateMachine)(this.definition, {
            validationOptions: { checkArn: false, noValidate: wasValidated(text) },
        });
        rememberValidated(text); // not before: an invalid definition throws above
    }

    /**
     * Starts the loopback endpoint, builds the bundled function and wires the queue to its execution
     * environments (started on demand, each loading the archive's code in a worker thread).
     */
    public static async start(options: LocalWorkflowOptions): Promise<LocalWorkflow> {
        const tokens = new TaskTokens();
        const endpoint = await StepFunctionsEndpoint.start({ respond: (call) => tokens.respond(call), recordCalls: false });
        let partner: Partner | undefined;
        let environments: EnvironmentPool;
        const logLines: string[] = [];
        const settings = options.settings;
        const maxConcurrentBatches = options.maxConcurrentBatches ?? defaultMaxConcurrentBatches(1, settings.batchSize);
        try {
            partner =
                options.handOff === true
                    ? await startPartner(endpoint.url, options.partnerWorkMs ?? PARTNER_WORK_MS, options.settings.heartbeatSeconds)
                    : undefined;
            // Builds the archive: may fail on a broken handler. The function answers only its queue's records.
            const { code, filename } = bundledCode(partner === undefined ? undefined : HANDOFF_FUNCTION_ENTRY);
            const env = functionEnvironment(endpoint.url, {
                TASK_QUEUE_ARN: LOCAL.queueArn,
                ...(partner !== undefined ? { [PARTNER_URL_VARIABLE]: partner.api.url } : {}),
            });
            environments = new EnvironmentPool(
                // Each invocation gets the stack's function timeout, counting down from its start; each
                // environment's heap, the stack's function memory (Lambda ends a function that outgrows it).
                {
                    code,
                    filename,
                    env,
                    timeoutMs: settings.functionTimeoutSeconds * 1000,
                    memoryMb: settings.functionMemoryMb,
                    onLogLine: (line) => logLines.push(line),
                },
                maxConcurrentBatches,
            );
        } catch (error) {
            await closePartner(partner);
            await endpoint.close(); // else its open server would keep the process alive
            throw error;
        }
        const queueEvents = new Map<string, QueueEvent[]>();
        const queue = new LocalQueue({
            queueArn: LOCAL.queueArn,
            batchSize: localBatchSize(settings.batchSize),
            maxReceiveCount: settings.maxReceiveCount,
            redeliveryDelayMs: options.redeliveryDelayMs ?? 200,
            maxConcurrentBatches,
            consumer: (event) => environments.invoke(event),
            onEvent: (event) => {
                const events = queueEvents.get(event.messageId);
                if (events === undefined) queueEvents.set(event.messageId, [event]);
                else events.push(event);
            },
        });
        let workflow: LocalWorkflow;
        try {
            workflow = new LocalWorkflow(options, tokens, endpoint, queue, queueEvents, environments, partner);
        } catch (error) {
            await environments.close();
            await closePartner(partner);
            await endpoint.close();
            throw error;
        }
        workflow.logLines = logLines;
        return workflow;
    }

    /** Notes on how this run differs from the deployed stack. */
    public notes(): string[] {
        const { settings } = this.options;
        const notes: string[] = [];
        if (this.timeoutSeconds !== settings.taskTimeoutSeconds) {
            notes.push(
                `TimeoutSeconds is ${this.timeoutSeconds} here, ${settings.taskTimeoutSeconds} in the stack (shortened for this run)`,
            );
        }
        if (settings.heartbeatSeconds !== undefined && this.heartbeatSeconds === undefined) {
            notes.push(`HeartbeatSeconds (${settings.heartbeatSeconds}) is left out here: it must be below this run's TimeoutSeconds`);
        }
        notes.push(
            `a failed message comes back after ${this.options.redeliveryDelayMs ?? 200} ms here (${queueVisibilityTimeoutSeconds(settings)} s, the visibility timeout, in AWS)`,
        );
        return notes;
    }

    /**
     * Runs one execution and returns the console's view of it; `delivery` is how its queued message
     * reaches the function (a scenario's, see `scenarios.ts`).
     */
    public async execute(name: string, input: unknown, delivery: ScenarioDelivery = {}): Promise<ExecutionView> {
        const log: InterpreterEvent[] = [];
        const calls: TaskCall[] = [];
        const messageIds: string[] = [];
        const notes = this.notes();
        const token = this.tokens.issue();
        const executionArn = `arn:aws:states:${LOCAL.region}:${LOCAL.account}:execution:${LOCAL.stateMachineName}:${name}`;
        const timeoutSeconds = this.timeoutSeconds;
        const heartbeatSeconds = this.heartbeatSeconds;

        let endExecution!: () => void;
        const executionEnded = new Promise<void>((resolve) => (endExecution = resolve));

        /** Records a call of a Task state's resource; the history's task events are built from it. */
        const callOf = (state: string, parameters: unknown): TaskCall => {
            const task = (this.definition.States as Record<string, TaskState | undefined>)[state];
            const call: TaskCall = {
                state,
                resource: task?.Resource ?? "",
                parameters,
                ...(task?.TimeoutSeconds !== undefined ? { timeoutInSeconds: task.TimeoutSeconds } : {}),
                ...(task?.HeartbeatSeconds !== undefined ? { heartbeatInSeconds: task.HeartbeatSeconds } : {}),
                scheduledAt: Date.now(),
            };
            calls.push(call);
            return call;
        };

        const waitForCallback = async (parameters: unknown): Promise<never> => {
            const call = callOf(STATE_NAMES.waitForCallback, parameters);
            const { MessageBody } = parameters as { QueueUrl: string; MessageBody: unknown };
            let body = JSON.stringify(MessageBody);
            if (delivery.cutInHalf === true) {
                body = body.slice(0, Math.floor(body.length / 2)); // cut in half on the way
                notes.push(`the message was cut in half on its way to the function: it received ${JSON.stringify(body.slice(0, 60))}…`);
            }
            const messageId = this.queue.send(body, {
                duplicate: delivery.duplicate === true,
                // The function is down for this execution until the task has timed out.
                ...(delivery.holdUntilTaskEnds === true ? { holdUntil: executionEnded } : {}),
            });
            messageIds.push(messageId);
            // What SendMessage answers (AWS adds its SDK's HTTP metadata, which a local queue has none of).
            call.submitted = {
                output: { MessageId: messageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex") },
                timestamp: Date.now(),
            };
            const output = await this.tokens.waitFor(token, { timeoutSeconds, heartbeatSeconds });
            call.succeeded = { output, timestamp: Date.now() };
            return output as never;
        };
        const publish =
            (state: string) =>
            async (parameters: unknown): Promise<never> => {
                const call = callOf(state, parameters);
                const output = { MessageId: randomUUID() };
                call.succeeded = { output, timestamp: Date.now() };
                return output as never;
            };

        const start = Date.now();
        if (this.partner !== undefined) {
            notes.push(
                `the function was built with a hand-off work (local/handoff-function.ts): it gave the task to a partner's API on loopback, which answers ${this.partner.workMs} ms later with SendTaskSuccess, as npm run callback does`,
            );
        }
        const run = this.machine.run(input as never, {
            context: {
                Execution: { Id: executionArn, Name: name, Input: input as never, StartTime: new Date(start).toISOString() },
                StateMachine: {
                    Id: `arn:aws:states:${LOCAL.region}:${LOCAL.account}:stateMachine:${LOCAL.stateMachineName}`,
                    Name: LOCAL.stateMachineName,
                },
                Task: { Token: token },
            },
            overrides: {
                taskResourceLocalHandlers: {
                    [STATE_NAMES.waitForCallback]: waitForCallback,
                    [STATE_NAMES.notifySuccess]: publish(STATE_NAMES.notifySuccess),
                    [STATE_NAMES.notifyFailure]: publish(STATE_NAMES.notifyFailure),
                },
            },
        });
        const logged = (async () => {
            for await (const event of run.eventLogs) log.push(event);
        })();

        let status: ExecutionStatus = "SUCCEEDED";
        try {
            await run.result;
        } catch (error) {
            // The classes of the interpreter's copy this run uses, not the package's.
            const { ExecutionError, ExecutionTimeoutError } = loadInterpreter();
            if (!(error instanceof ExecutionTimeoutError || error instanceof ExecutionError)) throw error;
            // The error and cause come from the history (below), as DescribeExecution's match GetExecutionHistory's.
            status = error instanceof ExecutionTimeoutError ? "TIMED_OUT" : "FAILED";
        }
        const end = Date.now();
        await logged;
        endExecution(); // the timeout scenario's function is back: the late message finds its task gone
        await Promise.all(messageIds.map((id) => this.queue.whenDone(id)));

        if (this.partner !== undefined) {
            // The task may have ended before the partner answered (a timeout shorter than its work):
            // its late answer is part of this execution's story, and what keeps the partner's notes.
            await this.partner.api.whenAnswered(token);
            const heartbeats = this.partner.heartbeats.get(token) ?? 0;
            if (heartbeats > 0)
                notes.push(`the partner sent ${heartbeats} heartbeat${heartbeats === 1 ? "" : "s"} while it worked on the task`);
            const partnerError = this.partner.errors.get(token);
            if (partnerError !== undefined) notes.push(`the partner could not answer the task: ${partnerError}`);
            this.partner.heartbeats.delete(token);
            this.partner.errors.delete(token);
        }
        // The console's view as a deployed execution's is built: from the history (input, output,
        // error and cause, the queued message, the notifications), then what only a local run knows.
        const view = viewFromHistory({
            name,
            source: this.options.source,
            status,
            events: buildHistory(log, calls, { region: LOCAL.region }),
        });
        const ids = new Set(messageIds);
        // Taken, not searched: a run of many executions would otherwise scan every earlier one's events.
        const queueActivity: QueueActivity[] = this.takeQueueEvents(messageIds).map((e) => ({
            type: e.type,
            messageId: e.messageId,
            receiveCount: e.receiveCount,
            elapsedMs: e.timestamp - start,
        }));
        return {
            ...view,
            durationMs: end - start,
            queueActivity,
            deadLetters: this.queue.deadLetters.filter((m) => ids.has(m.messageId)).length,
            notes,
        };
    }

    /** The queue's events of these messages, in order, forgotten here (all came: each one is done). */
    private takeQueueEvents(messageIds: string[]): QueueEvent[] {
        const events = messageIds.flatMap((id) => this.queueEvents.get(id) ?? []);
        messageIds.forEach((id) => this.queueEvents.delete(id));
        return events.sort((a, b) => a.timestamp - b.timestamp);
    }

    /** The function's log lines since the last call (JSON, as CloudWatch would hold them), from every environment. */
    public functionLogs(): string[] {
        return this.logLines.splice(0);
    }

    /** How many execution environments the function has had (started, at most at once, discarded). */
    public environmentFigures(): PoolFigures {
        return this.environments.figures;
    }

    /**
     * Stops everything (the queue, the open tasks, the function's environments, the endpoint); the
     * process may exit afterwards. Returns the function's log lines not yet taken. Safe to call
     * more than once.
     */
    public async close(): Promise<string[]> {
        const lines = this.functionLogs();
        if (this.closed) return lines;
        this.closed = true;
        this.queue.close();
        this.tokens.closeAll();
        await this.environments.close();
        await closePartner(this.partner);
        await this.endpoint.close();
        return lines;
    }
}

/**
 * Starts the partner of the `handoff` scenario: it answers each task after `workMs` with
 * SendTaskSuccess (SendTaskFailure when its output would be over AWS's limit), sending heartbeats meanwhile (three per HeartbeatSeconds) when the task has
 * them, through the real SDK client and the code `npm run callback` uses.
 */
async function startPartner(endpointUrl: string, workMs: number, heartbeatSeconds: number | undefined): Promise<Partner> {
    const client = new SFNClient({
        region: LOCAL.region,
        endpoint: endpointUrl,
        credentials: { accessKeyId: "AKIDLOCALPARTNER", secretAccessKey: "local-partner" },
        requestHandler: ANSWER_CLIENT_TIMEOUTS,
    });
    const errors = new Map<string, string>();
    const heartbeats = new Map<string, number>();
    const send = async (task: PartnerTask, answer: Parameters<typeof sendTaskAnswer>[1]["answer"]) =>
        assertTaskAnswerSent(await sendTaskAnswer(client, { taskToken: task.taskToken, answer }));
    const api = await PartnerApi.start({
        workMs,
        ...(heartbeatSeconds !== undefined ? { heartbeatMs: heartbeatIntervalMs(heartbeatSeconds) } : {}),
        heartbeat: async (task) => {
            await send(task, { action: "heartbeat" });
            heartbeats.set(task.taskToken, (heartbeats.get(task.taskToken) ?? 0) + 1);
        },
        answer: async (task) => {
            const output = JSON.stringify({ payload: task.input ?? null, result: "Completed by the partner after the hand-off." });
            try {
                checkTaskOutput(output, "the partner's output");
            } catch (error) {
                // As the function does with a result it cannot send: fail the task, not leave it to time out.
                if (!(error instanceof TaskAnswerInputError)) throw error;
                return send(task, { action: "failure", error: "TaskOutputError", cause: error.message });
            }
            return send(task, { action: "success", output });
        },
        onError: (task, error) => errors.set(task.taskToken, error instanceof Error ? error.message : String(error)),
    });
    return { api, client, errors, heartbeats, workMs };
}

async function closePartner(partner: Partner | undefined): Promise<void> {
    if (partner === undefined) return;
    await partner.api.close();
    partner.client.destroy();
}
