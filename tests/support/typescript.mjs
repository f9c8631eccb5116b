// Loaded by mocha (`.mocharc.json`'s "require") before any test file: tsx's hooks make Node run
// TypeScript, transpiled file by file with esbuild and never type-checked (`npm run typecheck` does
// that), so a type error does not stop the tests.
//
// tsx keeps what it transpiled in os.tmpdir()/tsx-<uid> (no setting names another folder: the path is
// computed from the temporary directory when tsx loads), and with it a process the tests start
// skips about a tenth of a second of its start-up (`docs/testing.md`). So the run gets a temporary
// directory of its own: made here, before tsx loads, named in TMPDIR, which mocha's workers and
// every process the tests start inherit (so they share one transpile cache), and removed with
// everything in it when the run ends. Nothing the run or a process it started wrote is left behind.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

/** Names the run's temporary directory in the environment; set only while a run owns one. */
export const RUN_TMPDIR_VARIABLE = "CALLBACK_TEST_TMPDIR";

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
