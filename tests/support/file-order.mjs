// @ts-check
/**
 * The order `npm test` starts its files in: the longest first. Mocha's parallel mode hands files to
 * its workers in the order of the spec list, one file per worker at a time, so a long file started
 * last (the glob's alphabetical order) runs alone while the other workers sit idle. Each file's
 * duration is recorded by the root hooks below, in every run, in node_modules/.cache (the usual
 * place for tools' caches, never committed); a file not measured yet goes first, as it may be long.
 * Plain JavaScript: mocha loads its config (`tests/support/full-run.mjs`) before any TypeScript hook.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
/** Where the durations are kept: one file per test file, so that workers never write the same file. */
export const DURATIONS_FOLDER = path.join(PROJECT_ROOT, "node_modules", ".cache", "callback-pattern-test-durations");

/**
 * The duration recorded for a test file, or undefined when none was (or it is unreadable).
 * @param {string} file a test file, relative to the project or absolute
 * @returns {number | undefined}
 */
function recordedMs(file) {
    try {
        const ms = Number(fs.readFileSync(path.join(DURATIONS_FOLDER, `${path.basename(file)}.ms`), "utf8"));
        return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Orders test files longest first by the durations given; files without one come first, in the
 * order given; files of equal duration keep theirs (a stable order from run to run).
 * @param {readonly string[]} files
 * @param {(file: string) => number | undefined} durationOf
 * @returns {string[]}
 */
export function longestFirst(files, durationOf) {
    const rank = (/** @type {string} */ file) => durationOf(file) ?? Number.POSITIVE_INFINITY;
    return files
        .map((file, index) => ({ file, index, ms: rank(file) }))
        .sort((a, b) => b.ms - a.ms || a.index - b.index)
        .map(({ file }) => file);
}

/**
 * Every test file of the project, longest first by the last recorded durations.
 * @returns {string[]}
 */
export function testFilesLongestFirst() {
    const folder = path.join(PROJECT_ROOT, "tests");
    const files = fs
        .readdirSync(folder)
        .filter((name) => name.endsWith(".test.ts"))
        .sort()
        .map((name) => path.join("tests", name));
    return longestFirst(files, recordedMs);
}

/** @type {number | undefined} */
let startedAt;

/**
 * Root hooks (mocha runs them around each file in a parallel worker, around the whole run in a
 * serial one): record how long the file took, when the run holds one file only.
 */
export const mochaHooks = {
    beforeAll() {
        startedAt = performance.now();
    },
    /** @this {import("mocha").Context} */
    afterAll() {
        const files = new Set((this.test?.parent?.suites ?? []).map((suite) => suite.file).filter(Boolean));
        if (startedAt === undefined || files.size !== 1) return;
        const [file] = /** @type {string[]} */ ([...files]);
        try {
            fs.mkdirSync(DURATIONS_FOLDER, { recursive: true });
            fs.writeFileSync(path.join(DURATIONS_FOLDER, `${path.basename(file)}.ms`), String(Math.round(performance.now() - startedAt)));
        } catch {
            // Only an order for the next run: a read-only node_modules costs nothing but that.
        }
    },
};
