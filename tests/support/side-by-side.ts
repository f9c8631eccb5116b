/**
 * Slow, independent runs of one test file side by side. Mocha runs a file's tests one after
 * another, and most of a local-run test's time is waiting for a whole-second timer
 * (`TimeoutSeconds`, `HeartbeatSeconds`), not CPU: waited one after another, those seconds add up;
 * started together, the file takes about as long as its longest run.
 */

/** Runs by name: each starts one run and gives its result. */
export type Runs = Record<string, () => Promise<unknown>>;

/** What each test awaits: its own run, started with the others. */
export type SideBySide<R extends Runs> = { readonly [K in keyof R]: () => ReturnType<R[K]> };

/**
 * Registers a `before` hook that starts every run at once, and an `after` hook that waits for all
 * of them to settle (so that no run outlives its file). Each test awaits its own run by name, and
 * its assertions stay in the test: a run that fails fails its test only, with its own error.
 * Call inside a `describe`. With `--grep` every run still starts: the price of not knowing, in a
 * hook, which tests will run.
 */
export function sideBySide<R extends Runs>(runs: R): SideBySide<R> {
    const names = Object.keys(runs);
    const started = new Map<string, Promise<unknown>>();
    before(() => {
        for (const name of names) {
            const run = runs[name]();
            // Awaited by its test; until then a rejection must not count as unhandled.
            run.catch(() => undefined);
            started.set(name, run);
        }
    });
    after(async () => {
        await Promise.allSettled(started.values());
    });
    return Object.fromEntries(
        names.map((name) => [
            name,
            () => {
                const run = started.get(name);
                if (run === undefined) throw new Error(`the run "${name}" was not started: call sideBySide inside a describe`);
                return run;
            },
        ]),
    ) as SideBySide<R>;
}
