/**
 * One build of each function bundle per test run: mocha's global fixtures (run once, in the main
 * process, also with --parallel) make a folder for the bundles and name it in the environment
 * that the test workers and every process the tests start inherit (`BUNDLE_CACHE_VARIABLE`, read
 * by `bundleFunction`); the folder (inside the run's temporary directory, `typescript.mjs`) goes
 * when the run ends. Without it, each program run, local
 * run and command started by a test bundled the function again (about half a second each).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUNDLE_CACHE_VARIABLE } from "../../infra/function-artifact";

let folder: string | undefined;

/** Makes the run's bundle folder, unless one is named already (a run inside a run keeps its parent's). */
export function mochaGlobalSetup(): void {
    if (process.env[BUNDLE_CACHE_VARIABLE]) return;
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "callback-bundles-"));
    process.env[BUNDLE_CACHE_VARIABLE] = folder;
}

/** Removes the folder this run made. */
export function mochaGlobalTeardown(): void {
    if (folder === undefined) return;
    fs.rmSync(folder, { recursive: true, force: true });
    delete process.env[BUNDLE_CACHE_VARIABLE];
    folder = undefined;
}

/**
 * For a suite about the build itself (its determinism, its output): builds afresh while the suite
 * runs, the processes it starts included, and restores the run's folder after it.
 */
export function withoutBundleCache(): void {
    let saved: string | undefined;
    before(() => {
        saved = process.env[BUNDLE_CACHE_VARIABLE];
        delete process.env[BUNDLE_CACHE_VARIABLE];
    });
    after(() => {
        if (saved !== undefined) process.env[BUNDLE_CACHE_VARIABLE] = saved;
    });
}
