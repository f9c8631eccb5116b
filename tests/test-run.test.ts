/**
 * What a test run sets up for its processes (`tests/support/typescript.mjs`): a temporary directory
 * of its own, and in it tsx's transpile cache folder linked to the one kept between runs.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KEPT_TRANSPILE_CACHE, transpileCacheFolder } from "./support/transpile-cache";

/** The variable naming the run's temporary directory (`RUN_TMPDIR_VARIABLE` in typescript.mjs, an ES module this CommonJS test cannot require). */
const RUN_TMPDIR_VARIABLE = "CALLBACK_TEST_TMPDIR";

describe("the test run", () => {
    it("gives its processes a temporary directory of its own", () => {
        const folder = process.env[RUN_TMPDIR_VARIABLE];
        assert.ok(folder !== undefined && path.basename(folder).startsWith("callback-tests-"), String(folder));
        assert.equal(os.tmpdir(), folder);
    });

    it("keeps tsx's transpile cache between runs: the run's tsx folder is a link to node_modules/.cache/tsx, which holds this file", async function () {
        const kept = KEPT_TRANSPILE_CACHE;
        try {
            fs.accessSync(path.dirname(kept), fs.constants.W_OK);
        } catch {
            // A node_modules this user cannot write: the run keeps tsx's cache in its own folder.
            this.skip();
        }
        const link = transpileCacheFolder();
        assert.ok(fs.lstatSync(link).isSymbolicLink(), `${link} is not a link`);
        assert.equal(fs.realpathSync(link), fs.realpathSync(kept));
        // What tsx made of this very file is there (entries are keyed by content: written by this
        // run, or by an earlier one from the same text). tsx writes an entry without waiting for it,
        // as it loads the file, so on a first run it may still be on its way: a few seconds at most.
        const marker = "which holds this file";
        const holdsThisFile = () =>
            fs.readdirSync(kept).some((entry) => {
                try {
                    return fs.readFileSync(path.join(kept, entry), "utf8").includes(marker);
                } catch {
                    return false; // expired by another process meanwhile
                }
            });
        const until = Date.now() + 3000;
        while (!holdsThisFile() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.ok(holdsThisFile(), "no entry of the kept cache holds this file");
    });
});
