/** The scenarios of the local run (`npm start -- --scenario NAME`). */
export const SCENARIOS = ["success", "failure", "timeout", "duplicate", "poison"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What each scenario shows. */
export const SCENARIO_DESCRIPTIONS: Record<Scenario, string> = {
    success: "the function returns the token with SendTaskSuccess; Notify Success",
    failure: "the work fails (the input asks it to); SendTaskFailure; Notify Failure at once",
    timeout: "the function is down; the task times out (States.Timeout); Notify Failure; the late message then finds its task gone",
    duplicate: "the queue delivers the message twice; the second callback gets TaskTimedOut and is acknowledged",
    poison: "the message is corrupted on the way; the function refuses it until it moves to the dead-letter queue; the task times out",
};

/** How long the timeout and poison scenarios wait for a callback unless told otherwise. */
export const SHORT_TIMEOUT_SECONDS = 2;
