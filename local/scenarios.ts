/** The scenarios of the local run (`npm start -- --scenario NAME`). */
export const SCENARIOS = ["success", "failure", "timeout", "duplicate", "poison"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** How long the timeout and poison scenarios wait for a callback unless told otherwise. */
export const SHORT_TIMEOUT_SECONDS = 2;
