// @ts-check
/**
 * The config of `npm test` (`mocha --config tests/support/full-run.mjs`): `.mocharc.json`'s settings,
 * which a run of one file uses alone, plus what only the whole suite needs: every test file, the
 * longest first (`file-order.mjs`), in parallel workers. Mocha adds a config's spec list to the
 * files named on the command line, which is why the list is not in `.mocharc.json`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { testFilesLongestFirst } from "./file-order.mjs";

/** `.mocharc.json`: what every run shares. */
const shared = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "..", "..", ".mocharc.json"), "utf8"));

// Named exports, not a default one: mocha reads a config with require(), which gives an ES module's
// namespace (Node 22), whose properties are these.
export const extension = shared.extension;
export const timeout = shared.timeout;
const requires = [...shared.require, "./tests/support/file-order.mjs"];
export { requires as require };
export const spec = testFilesLongestFirst();
export const parallel = true;
// Measured on this 2-core machine (docs/testing.md): most of the suite's time is waiting, not CPU,
// so four workers finish sooner than two; six did not.
export const jobs = 4;
