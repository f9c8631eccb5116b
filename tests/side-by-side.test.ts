/**
 * The helper that runs a test file's slow runs side by side (`support/side-by-side.ts`): started
 * together before the tests, each test awaiting its own.
 */
import { strict as assert } from "node:assert";
import { sideBySide } from "./support/side-by-side";

describe("runs side by side (tests/support/side-by-side.ts)", () => {
    // Registered before sideBySide's hooks, so that it sees the runs' rejections from their start.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    before(() => process.on("unhandledRejection", onUnhandled));
    after(() => process.off("unhandledRejection", onUnhandled));

    const started: string[] = [];
    /** A run that records its start, then gives, a turn of the event loop later, which runs had started by then. */
    const recording = (name: string) => async () => {
        started.push(name);
        await new Promise((resolve) => setImmediate(resolve));
        return [...started];
    };
    const runs = sideBySide({
        first: recording("first"),
        second: recording("second"),
        failing: async () => {
            throw new Error("this run failed");
        },
    });

    it("starts every run before any of them ends, so the file waits about as long as its longest run", async () => {
        assert.deepEqual(await runs.first(), ["first", "second"]);
        assert.deepEqual(await runs.second(), ["first", "second"]);
    });

    it("gives a failed run's error to its own test only, not as an unhandled rejection while others run", async () => {
        // The run rejected before the test before this one; the process did not count it as unhandled.
        assert.deepEqual(unhandled, []);
        await assert.rejects(runs.failing(), /^Error: this run failed$/);
    });
});
