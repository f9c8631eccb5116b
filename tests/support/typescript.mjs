// Loaded by mocha (`.mocharc.json`'s "require") before any test file: tsx's hooks make Node run
// TypeScript, transpiled file by file with esbuild and never type-checked (`npm run typecheck` does
// that), so a type error does not stop the tests.
//
// tsx keeps what it transpiled in os.tmpdir()/tsx-<user> (no setting names another folder: the path
// is computed from the temporary directory when tsx loads). So the run gets a temporary directory of
// its own: made here, before tsx loads, named in TMPDIR, which mocha's workers and every process the
// tests start inherit, and removed with everything in it when the run ends: nothing the run or a
// process it started wrote is left behind. Its tsx-<user> is a link to node_modules/.cache/tsx, the
// one thing kept from run to run (as tools keep their caches there): every process of every run
// reads one transpile cache, whose entries tsx keys by each file's content, instead of each run
// transpiling every file again (2.5 s of a run's CPU here, `docs/testing.md`).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

/** Names the run's temporary directory in the environment; set only while a run owns one. */
export const RUN_TMPDIR_VARIABLE = "CALLBACK_TEST_TMPDIR";

/** Where tsx's transpile cache is kept between runs (stated for the tests in `transpile-cache.ts`). */
export const KEPT_TRANSPILE_CACHE = path.resolve(import.meta.dirname, "..", "..", "node_modules", ".cache", "tsx");

/**
 * Links `folder`/tsx-<user> (tsx's cache folder when `folder` is the temporary directory: the user
 * is the effective uid, or the user name where there is none) to {@link KEPT_TRANSPILE_CACHE}. A
 * node_modules that cannot be written, or a file system without links, leaves the cache in the
 * run's folder, as it was: slower, nothing else.
 */
function linkTranspileCache(folder) {
    const user = process.geteuid?.() ?? os.userInfo().username;
    try {
        fs.mkdirSync(KEPT_TRANSPILE_CACHE, { recursive: true });
        // A junction on Windows (no privilege needed); the type is ignored elsewhere.
        fs.symlinkSync(KEPT_TRANSPILE_CACHE, path.join(folder, `tsx-${user}`), "junction");
    } catch {
        // tsx makes its folder in the run's folder instead.
    }
}

/** The folder this process made (undefined in a worker or a run inside a run: their parent owns it). */
let owned;

if (!process.env[RUN_TMPDIR_VARIABLE]) {
    owned = fs.mkdtempSync(path.join(os.tmpdir(), "callback-tests-"));
    process.env[RUN_TMPDIR_VARIABLE] = owned;
    // os.tmpdir() reads these on every call: TMPDIR on POSIX, TEMP and TMP on Windows.
    process.env.TMPDIR = process.env.TEMP = process.env.TMP = owned;
    // A run that exits without its teardown (mocha's --bail, an error in a fixture) removes it too;
    // one killed by a signal (Ctrl-C) leaves it in the temporary directory, named callback-tests-*.
    process.once("exit", removeRunFolder);
    linkTranspileCache(owned);
}

await import("tsx");

/** Removes the run's temporary directory, when this process made it. */
function removeRunFolder() {
    if (owned === undefined) return;
    fs.rmSync(owned, { recursive: true, force: true });
    owned = undefined;
}

/** Mocha's global teardown (main process only, after every worker ended): the folder goes. */
export function mochaGlobalTeardown() {
    removeRunFolder();
}
