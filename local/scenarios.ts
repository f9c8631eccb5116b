/**
 * The scenarios of the local run (`npm start -- --scenario NAME`), as data: what each one changes
 * about the run (the input, the task's timeout, the function's work) and about the delivery of the
 * queued message. The local run reads these fields; no other file names a scenario.
 */

/** How the queued message reaches the function in a scenario. */
export interface ScenarioDelivery {
    /** Deliver the message once more after it was deleted, as SQS's at-least-once delivery may. */
    duplicate?: boolean;
    /** Cut the body in half on its way (a poison message the function cannot parse). */
    cutInHalf?: boolean;
    /** The function is down until the task has ended: the message waits on the queue until then. */
    holdUntilTaskEnds?: boolean;
}

export interface Scenario {
    /** One line for `--help`. */
    summary: string;
    /** The wait task's TimeoutSeconds for this scenario, unless `--task-timeout-seconds` says otherwise. */
    taskTimeoutSeconds?: number;
    /** Run the function with a work that hands the task to a partner's API (`handoff-function.ts`). */
    handOff?: boolean;
    delivery: ScenarioDelivery;
    /**
     * The execution input the scenario runs with, from the one given; throws an Error whose message
     * says what the input must be when the scenario cannot use it.
     */
    input?: (input: unknown) => unknown;
}

/** How long the timeout and poison scenarios wait for a callback unless told otherwise. */
export const SHORT_TIMEOUT_SECONDS = 2;

/**
 * How long the partner of the `handoff` scenario works on a task before it answers: long enough to
 * see the execution wait after the function acknowledged its message.
 */
export const PARTNER_WORK_MS = 1000;

/** The error the `failure` scenario adds to the input, which the function fails the task with. */
export const SIMULATED_FAILURE = "Simulated failure (--scenario failure)";

/** The names of the scenarios, in the order `--help` lists them. */
export const SCENARIO_NAMES = ["success", "failure", "timeout", "duplicate", "poison", "handoff"] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
    success: { summary: "the function returns the token with SendTaskSuccess", delivery: {} },
    failure: {
        summary: 'the input gets a "fail" field: the function fails the task, the Catch notifies failure',
        delivery: {},
        input: (input: unknown) => {
            if (typeof input !== "object" || input === null || Array.isArray(input)) {
                throw new Error('--scenario failure adds a "fail" field to the input, so the input must be a JSON object');
            }
            return { fail: SIMULATED_FAILURE, ...input };
        },
    },
    timeout: {
        summary: "the function is down until the task times out",
        taskTimeoutSeconds: SHORT_TIMEOUT_SECONDS,
        delivery: { holdUntilTaskEnds: true },
    },
    duplicate: { summary: "the message is delivered twice; the second answer finds the task closed", delivery: { duplicate: true } },
    poison: {
        summary: "the message arrives cut in half: retried, then dead-lettered; the task times out",
        taskTimeoutSeconds: SHORT_TIMEOUT_SECONDS,
        delivery: { cutInHalf: true },
    },
    handoff: {
        summary: "the function hands the token to a partner's API, which answers later",
        handOff: true,
        delivery: {},
    },
};

/** Whether `name` names a scenario. */
export function isScenarioName(name: string): name is ScenarioName {
    return (SCENARIO_NAMES as readonly string[]).includes(name);
}
