/** The scenarios of the local run (`npm start -- --scenario NAME`). */
export const SCENARIOS = ["success", "failure", "timeout", "duplicate", "poison", "handoff"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** How long the timeout and poison scenarios wait for a callback unless told otherwise. */
export const SHORT_TIMEOUT_SECONDS = 2;

/**
 * How long the partner of the `handoff` scenario works on a task before it answers: long enough to
 * see the execution wait after the function acknowledged its message.
 */
export const PARTNER_WORK_MS = 1000;
