/**
 * Pulumi mocks shared by the tests. They answer the invokes the program uses (and throw on any
 * other, so an unexpected lookup fails loudly), give resources the ids, names, ARNs and URLs AWS
 * would, and record every registration with its inputs and dependencies for the tests to inspect.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";
export const REGION = "eu-west-1";
export const PARTITION = "aws";
export const SNS_KEY_ARN = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const PROJECT = "callback-pattern";

/** What a StackReference to a deployed callback-pattern stack reads (the documented outputs). */
export const REFERENCED_STACK_OUTPUTS: Record<string, string | number> = {
    stateMachineArn: `arn:${PARTITION}:states:${REGION}:${ACCOUNT_ID}:stateMachine:callback-workflow-state-machine-1a2b3c4`,
    stateMachineName: "callback-workflow-state-machine-1a2b3c4",
    queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/callback-tasks-queue-1a2b3c4`,
    queueArn: `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT_ID}:callback-tasks-queue-1a2b3c4`,
    topicArn: `arn:${PARTITION}:sns:${REGION}:${ACCOUNT_ID}:callback-notifications-topic-1a2b3c4`,
    taskTimeoutSeconds: 300,
    heartbeatSeconds: 0,
};

/** The invokes the program makes, and what AWS answers. */
const INVOKES: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: ACCOUNT_ID,
        arn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:user/deployer`,
        userId: "AIDAEXAMPLE",
        id: ACCOUNT_ID,
    }),
    "aws:index/getPartition:getPartition": () => ({
        partition: PARTITION,
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
        id: PARTITION,
    }),
    "aws:index/getRegion:getRegion": () => ({
        region: REGION,
        name: REGION,
        endpoint: `ec2.${REGION}.amazonaws.com`,
        description: "Europe (Ireland)",
        id: REGION,
    }),
    // DescribeKey by alias: the key the alias points to.
    "aws:kms/getKey:getKey": (inputs) => {
        if (inputs.keyId !== "alias/aws/sns") throw new Error(`unmocked KMS key ${String(inputs.keyId)}`);
        return {
            keyId: inputs.keyId,
            arn: SNS_KEY_ARN,
            id: SNS_KEY_ARN.split("/")[1],
            keyManager: "AWS",
            keyState: "Enabled",
            enabled: true,
        };
    },
};

/** A resource as the program registered it. */
export interface RegisteredResource {
    type: string;
    /** Logical name. */
    name: string;
    inputs: Record<string, unknown>;
    /** Its state after creation: the inputs and the outputs AWS computes (arn, url, name, …). */
    state: Record<string, unknown>;
    /** Physical name the mock gave it (what AWS auto-naming would). */
    physicalName: string;
    /** Logical names of the resources it depends on (property references and dependsOn). */
    dependencies: string[];
    /** Logical name of its parent, when it has one. */
    parent?: string;
    /** The inputs that reached the engine as Pulumi secrets (top-level property names). */
    secretInputs: string[];
    /** Outputs the program asked the engine to keep secret (`additionalSecretOutputs`). */
    additionalSecretOutputs: string[];
}

// How the SDK marks a secret value on the wire to the engine.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Whether a serialized property value holds a secret anywhere inside. */
function holdsSecret(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(holdsSecret);
    if (value === null || typeof value !== "object") return false;
    const record = value as Record<string, unknown>;
    return record[SIG_KEY] === SECRET_SIG || Object.values(record).some(holdsSecret);
}

// Auto-naming stands in for Pulumi's: the logical name (or namePrefix) plus a stable suffix.
function autoName(logicalName: string, inputs: Record<string, unknown>): string {
    if (typeof inputs.name === "string") return inputs.name;
    const suffix = createHash("sha256").update(logicalName).digest("hex").slice(0, 7);
    return typeof inputs.namePrefix === "string" ? `${inputs.namePrefix}${suffix}` : `${logicalName}-${suffix}`;
}

function resourceState(type: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
    const arn = (service: string, resource: string, region = REGION) => `arn:${PARTITION}:${service}:${region}:${ACCOUNT_ID}:${resource}`;
    switch (type) {
        case "aws:sqs/queue:Queue": {
            const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${name}`;
            return { id: url, state: { ...inputs, name, url, arn: arn("sqs", name) } };
        }
        case "aws:sns/topic:Topic": {
            const topicArn = arn("sns", name);
            return { id: topicArn, state: { ...inputs, name, arn: topicArn } };
        }
        case "aws:iam/role:Role":
            return { id: name, state: { ...inputs, name, arn: `arn:${PARTITION}:iam::${ACCOUNT_ID}:role/${name}` } };
        case "aws:cloudwatch/logGroup:LogGroup":
            return { id: name, state: { ...inputs, name, arn: arn("logs", `log-group:${name}`) } };
        case "aws:lambda/function:Function": {
            const functionArn = arn("lambda", `function:${name}`);
            return { id: name, state: { ...inputs, name, arn: functionArn, qualifiedArn: `${functionArn}:$LATEST` } };
        }
        case "aws:sfn/stateMachine:StateMachine": {
            const machineArn = arn("states", `stateMachine:${name}`);
            return { id: machineArn, state: { ...inputs, name, arn: machineArn } };
        }
        case "pulumi:pulumi:StackReference":
            // A stack reference's state is the referenced stack's outputs.
            return { id: String(inputs.name), state: { name: inputs.name, outputs: REFERENCED_STACK_OUTPUTS, secretOutputNames: [] } };
        case "aws:kms/key:Key": {
            const keyId = createHash("sha256")
                .update(name)
                .digest("hex")
                .slice(0, 32)
                .replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
            return { id: keyId, state: { ...inputs, keyId, arn: arn("kms", `key/${keyId}`) } };
        }
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return { id: name, state: { ...inputs, name, arn: arn("cloudwatch", `alarm:${name}`) } };
        default:
            return { id: `${name}-id`, state: { ...inputs } };
    }
}

const nameOfUrn = (urn: string) => urn.split("::").pop() ?? urn;

/** Records what one program run registered and invoked. */
export class MockRecorder {
    public readonly resources: RegisteredResource[] = [];
    public readonly invokes: string[] = [];
    private readonly dependencies = new Map<
        string,
        { dependencies: string[]; parent?: string; secretInputs: string[]; additionalSecretOutputs: string[] }
    >();

    /**
     * Installs the mocks, the stack's config (`secretKeys`: the keys set as secrets, without
     * namespace), and the recording of dependencies and secret inputs.
     */
    public async install(config: Record<string, string> = {}, stack = "test", project = PROJECT, secretKeys: string[] = []): Promise<void> {
        const mocks: pulumi.runtime.Mocks = {
            newResource: (args) => {
                const inputs = (args.inputs ?? {}) as Record<string, unknown>;
                const physicalName = args.custom === false ? args.name : autoName(args.name, inputs);
                const { id, state } = resourceState(args.type, physicalName, inputs);
                const recorded = this.dependencies.get(`${args.type}::${args.name}`);
                this.resources.push({
                    type: args.type,
                    name: args.name,
                    inputs,
                    state,
                    physicalName,
                    dependencies: recorded?.dependencies ?? [],
                    parent: recorded?.parent,
                    secretInputs: recorded?.secretInputs ?? [],
                    additionalSecretOutputs: recorded?.additionalSecretOutputs ?? [],
                });
                return { id, state };
            },
            call: (args) => {
                this.invokes.push(args.token);
                const answer = INVOKES[args.token];
                if (answer === undefined) throw new Error(`unmocked invoke ${args.token}`);
                return answer(args.inputs as Record<string, unknown>);
            },
        };
        await pulumi.runtime.setMocks(mocks, project, stack, false);
        pulumi.runtime.setAllConfig(
            Object.fromEntries(Object.entries(config).map(([k, v]) => [`${project}:${k}`, v])),
            secretKeys.map((k) => `${project}:${k}`),
        );

        // The mocks' newResource sees neither dependencies nor secrets (its inputs are unwrapped); the monitor's request does.
        type Request = {
            getType(): string;
            getName(): string;
            getDependenciesList(): string[];
            getParent(): string;
            getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
            getAdditionalsecretoutputsList(): string[];
        };
        const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Request, cb: unknown): unknown };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, cb) => {
            this.dependencies.set(`${req.getType()}::${req.getName()}`, {
                dependencies: req.getDependenciesList().map(nameOfUrn),
                parent: req.getParent() ? nameOfUrn(req.getParent()) : undefined,
                secretInputs: Object.entries(req.getObject()?.toJavaScript() ?? {})
                    .filter(([, value]) => holdsSecret(value))
                    .map(([key]) => key),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            });
            return register(req, cb);
        };
    }

    /** Waits until every registration and invoke the program started has finished. */
    public async settle(): Promise<void> {
        // Pulumi's own wait, used when a program exits; not in the SDK's public typings.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- runtime module outside the typed API
        const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
        await settings.waitForRPCs();
    }

    public ofType(type: string): RegisteredResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The single resource of a type; fails when there is none or more than one. */
    public one(type: string): RegisteredResource {
        const found = this.ofType(type);
        if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
        return found[0];
    }

    /**
     * The resource with this logical name (part of its URN: a rename replaces it), checked to be
     * of `type` when one is given.
     */
    public named(name: string, type?: string): RegisteredResource {
        const found = this.resources.find((r) => r.name === name);
        if (found === undefined) throw new Error(`no resource named ${name}`);
        if (type !== undefined && found.type !== type) throw new Error(`${name} is a ${found.type}, not a ${type}`);
        return found;
    }
}

/** The value of an output, once known. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((value) => resolve(value)));
}

const INDEX = path.resolve(__dirname, "..", "index.ts");

/** The program's exports: its stack outputs. */
export type ProgramOutputs = Record<string, pulumi.Output<string>>;

/**
 * Runs a Pulumi program (`index.ts` unless told otherwise) under fresh mocks with the given config
 * (keys without namespace; `secretKeys` of them set as secrets) and returns its outputs and what
 * it registered. The module is loaded anew each time.
 */
export async function runProgram(
    config: Record<string, string> = {},
    stack = "test",
    recorder = new MockRecorder(),
    program: { file: string; project: string } = { file: INDEX, project: PROJECT },
    secretKeys: string[] = [],
): Promise<{ outputs: ProgramOutputs; recorder: MockRecorder }> {
    await recorder.install(config, stack, program.project, secretKeys);
    delete require.cache[program.file];
    // The SDK keeps `new Error().stack` on every promise it makes (`debuggablePromise`, for a leak
    // report printed only when a real program exits), and formatting those stacks through tsx's
    // source maps was three quarters of a run's CPU here (160 ms of 200; 40 ms without stacks).
    // No stacks while the program registers: an error it throws keeps its message, not its frames.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program runs anew on every require (its cache entry is deleted first)
        const outputs = require(program.file) as ProgramOutputs;
        await recorder.settle();
        return { outputs, recorder };
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
}
