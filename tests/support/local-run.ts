/**
 * What the local run's test files share: one scenario run in a local run of its own, and the
 * history's event types. The local run's tests are split by topic (paths, timeouts, inputs,
 * handoff, scale, view) so that mocha's parallel mode, which hands out whole files, can run them
 * side by side.
 */
import { DEFAULT_SETTINGS, type CallbackPatternSettings } from "../../infra/config";
import { STATE_NAMES } from "../../infra/definition";
import { LocalWorkflow } from "../../local/local-workflow";
import { SCENARIOS, type ScenarioName } from "../../local/scenarios";
import type { ExecutionView } from "../../view/execution-view";

/** The wait-for-callback state's name. */
export const WAIT = STATE_NAMES.waitForCallback;

/** One scenario's execution in a local run of its own (closed after), with the function's log lines parsed. */
export async function runScenario(
    scenario: ScenarioName,
    input: unknown = { order: 42 },
    settings: Partial<CallbackPatternSettings> = {},
    taskTimeoutSeconds?: number,
    partnerWorkMs?: number,
): Promise<{ view: ExecutionView; logs: Record<string, unknown>[] }> {
    const workflow = await LocalWorkflow.start({
        settings: { ...DEFAULT_SETTINGS, ...settings },
        source: "test",
        taskTimeoutSeconds,
        redeliveryDelayMs: 20,
        handOff: SCENARIOS[scenario].handOff === true,
        ...(partnerWorkMs !== undefined ? { partnerWorkMs } : {}),
    });
    try {
        const view = await workflow.execute(`test-${scenario}`, input, SCENARIOS[scenario].delivery);
        const logs = workflow.functionLogs().map((line) => JSON.parse(line) as Record<string, unknown>);
        return { view, logs };
    } finally {
        await workflow.close();
    }
}

/** The history's event types, of one state or of all. */
export const types = (view: ExecutionView, state?: string): string[] =>
    view.history.filter((row) => state === undefined || row.state === state).map((row) => row.type);
