/**
 * The local run's memory of validated definitions (local/validated-definitions.ts): each definition
 * is validated once per process, and once per test run when the run names its build cache folder.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUNDLE_CACHE_VARIABLE } from "../infra/function-artifact";

const MODULE = require.resolve("../local/validated-definitions");
type Memory = typeof import("../local/validated-definitions");

/** A fresh copy of the module: what another process of the run starts with (an empty memory). */
function freshMemory(): Memory {
    delete require.cache[MODULE];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a new instance on purpose
    return require(MODULE) as Memory;
}

/** A definition's text no other test remembers. */
const uniqueText = (label: string) =>
    JSON.stringify({ StartAt: label, States: { [label]: { Type: "Succeed" } }, at: process.hrtime.bigint().toString() });

describe("validated definitions (local run)", () => {
    let saved: string | undefined;
    let folder: string;
    beforeEach(() => {
        saved = process.env[BUNDLE_CACHE_VARIABLE];
        folder = fs.mkdtempSync(path.join(os.tmpdir(), "validated-"));
    });
    afterEach(() => {
        if (saved === undefined) delete process.env[BUNDLE_CACHE_VARIABLE];
        else process.env[BUNDLE_CACHE_VARIABLE] = saved;
        fs.rmSync(folder, { recursive: true, force: true });
    });

    it("outside a test run, remembers a definition for this process only, and writes nothing", () => {
        delete process.env[BUNDLE_CACHE_VARIABLE];
        const memory = freshMemory();
        const [one, other] = [uniqueText("One"), uniqueText("Other")];
        assert.equal(memory.wasValidated(one), false);
        memory.rememberValidated(one);
        assert.equal(memory.wasValidated(one), true);
        assert.equal(memory.wasValidated(other), false, "only the definition that passed");
        assert.equal(freshMemory().wasValidated(one), false, "another process validates it again");
    });

    it("in a test run, tells the run's other processes that a definition passed, and no other", () => {
        process.env[BUNDLE_CACHE_VARIABLE] = folder;
        const [one, other] = [uniqueText("One"), uniqueText("Other")];
        freshMemory().rememberValidated(one);
        const another = freshMemory();
        assert.equal(another.wasValidated(one), true);
        assert.equal(another.wasValidated(other), false);
        assert.equal(fs.readdirSync(folder).length, 1, "one marker");
    });

    it("a run folder that cannot be written costs only the saving", () => {
        process.env[BUNDLE_CACHE_VARIABLE] = path.join(folder, "missing", "folder");
        const memory = freshMemory();
        const text = uniqueText("Unwritable");
        memory.rememberValidated(text);
        assert.equal(memory.wasValidated(text), true);
        assert.equal(freshMemory().wasValidated(text), false);
    });
});
