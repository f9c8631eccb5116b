/**
 * tsx's transpile cache as a test run keeps it, for the tests that check it. `typescript.mjs` sets
 * it up before tsx loads, so it cannot import this TypeScript file: it states the same two facts
 * (the folder kept between runs, and tsx's folder name) for the run, and this file for the tests.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../infra/function-artifact";

/** The folder kept between runs, which the run's tsx folder links to. */
export const KEPT_TRANSPILE_CACHE = path.join(PROJECT_ROOT, "node_modules", ".cache", "tsx");

/** tsx's cache folder in `temporaryDirectory`: tsx-<effective uid>, or tsx-<user name> where there is none. */
export function transpileCacheFolder(temporaryDirectory: string = os.tmpdir()): string {
    return path.join(temporaryDirectory, `tsx-${process.geteuid?.() ?? os.userInfo().username}`);
}

/**
 * How tsx 4 names an entry: the time it was written, in units of 10^8 ms (about 28 hours), then its
 * key. tsx removes an entry 7 units after it was written, as any process of a run may do at any time.
 */
export const CACHE_TIME_UNIT_MS = 1e8;
export const CACHE_ENTRY_LIFE = 7;

/** The kept cache's entries, each with the unit it was written in (NaN for a name of another form). */
export function keptTranspileCache(): { file: string; written: number }[] {
    if (!fs.existsSync(KEPT_TRANSPILE_CACHE)) return [];
    return fs
        .readdirSync(KEPT_TRANSPILE_CACHE)
        .map((name) => ({ file: path.join(KEPT_TRANSPILE_CACHE, name), written: Number(name.split("-")[0]) }));
}
