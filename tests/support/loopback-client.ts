/**
 * Suites against the loopback Step Functions endpoint: a client of the SDK's defaults pointed at
 * it, and the mocha hooks that start, reset and close the endpoint and what uses it (the core with
 * a client, the bundled function, task tokens kept as Step Functions keeps them) around a suite.
 */
import { SFNClient, type SFNClientConfig } from "@aws-sdk/client-sfn";
import { loadBundledHandler, type CallbackHandler } from "../../local/bundled-handler";
import { StepFunctionsEndpoint, type EndpointOptions } from "../../local/step-functions-endpoint";
import { TaskTokens } from "../../local/task-tokens";
import { RecordingLogger, TASK_QUEUE_ARN } from "./sqs-events";

/** A client with the SDK's defaults (or `config`) for the endpoint at `endpointUrl`. */
export function loopbackClient(endpointUrl: string, config: SFNClientConfig = {}): SFNClient {
    return new SFNClient({
        region: "eu-west-1",
        endpoint: endpointUrl,
        credentials: { accessKeyId: "AKIDLOOPBACK", secretAccessKey: "loopback" },
        ...config,
    });
}

/** What a suite gets: set in `before`, the endpoint's calls and the log cleared before each test. */
export interface CoreLoopback {
    endpoint: StepFunctionsEndpoint;
    client: SFNClient;
    logger: RecordingLogger;
}

/** Registers the hooks of a suite that runs the core against its own loopback endpoint. */
export function useCoreLoopback(options: EndpointOptions = {}, config: SFNClientConfig = {}): CoreLoopback {
    const suite = {} as CoreLoopback;
    before(async () => {
        suite.endpoint = await StepFunctionsEndpoint.start(options);
        suite.client = loopbackClient(suite.endpoint.url, config);
    });
    after(async () => {
        suite.client.destroy();
        await suite.endpoint.close();
    });
    beforeEach(() => {
        suite.endpoint.reset();
        suite.logger = new RecordingLogger();
    });
    return suite;
}

/** What a suite of the bundled function gets: its endpoint and the handler loaded from the archive. */
export interface BundledLoopback {
    endpoint: StepFunctionsEndpoint;
    handler: CallbackHandler;
}

/**
 * Registers the hooks of a suite that runs the shipped archive against its own loopback endpoint,
 * the function answering only `TASK_QUEUE_ARN`'s records; the environment it was loaded with is
 * restored after the suite (not before: the client's warm-up reads it after loading).
 */
export function useBundledLoopback(options: EndpointOptions = {}): BundledLoopback {
    const suite = {} as BundledLoopback;
    let restoreEnv: () => void = () => undefined;
    before(async () => {
        suite.endpoint = await StepFunctionsEndpoint.start(options);
        ({ handler: suite.handler, restoreEnv } = loadBundledHandler(suite.endpoint.url, { TASK_QUEUE_ARN }));
    });
    after(async () => {
        restoreEnv();
        await suite.endpoint.close();
    });
    beforeEach(() => suite.endpoint.reset());
    return suite;
}

/** A suite's endpoint answering from task tokens kept as Step Functions keeps them, new for each test. */
export interface TokensLoopback {
    endpoint: StepFunctionsEndpoint;
    tokens: TaskTokens;
}

/** Registers the hooks of a suite whose endpoint answers from a fresh {@link TaskTokens} in each test. */
export function useTokensLoopback(): TokensLoopback {
    const suite = {} as TokensLoopback;
    before(async () => {
        suite.endpoint = await StepFunctionsEndpoint.start();
    });
    beforeEach(() => {
        suite.tokens = new TaskTokens();
        suite.endpoint.reset();
        suite.endpoint.respond = (call) => suite.tokens.respond(call);
    });
    afterEach(() => suite.tokens.closeAll());
    after(() => suite.endpoint.close());
    return suite;
}
