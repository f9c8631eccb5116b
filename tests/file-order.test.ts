import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DURATIONS_FOLDER, longestFirst, mochaHooks } from "./support/file-order.mjs";
import * as fullRun from "./support/full-run.mjs";

describe("the order npm test starts its files in", () => {
    it("starts the longest file first, then the others by duration", () => {
        const ms: Record<string, number> = { "a.test.ts": 100, "b.test.ts": 28_000, "c.test.ts": 5_000 };
        assert.deepEqual(
            longestFirst(["a.test.ts", "b.test.ts", "c.test.ts"], (file) => ms[file]),
            ["b.test.ts", "c.test.ts", "a.test.ts"],
        );
    });

    it("starts a file never measured before any measured one, and keeps the given order among equals", () => {
        const ms: Record<string, number> = { "a.test.ts": 10, "b.test.ts": 10, "c.test.ts": 20 };
        assert.deepEqual(
            longestFirst(["new.test.ts", "a.test.ts", "b.test.ts", "c.test.ts", "newer.test.ts"], (file) => ms[file]),
            ["new.test.ts", "newer.test.ts", "c.test.ts", "a.test.ts", "b.test.ts"],
        );
    });

    it("npm test runs every test file once, this one included, in parallel", () => {
        assert.equal(fullRun.parallel, true);
        const everyFile = fs
            .readdirSync(__dirname)
            .filter((name) => name.endsWith(".test.ts"))
            .map((name) => path.join("tests", name));
        assert.deepEqual([...fullRun.spec].sort(), everyFile.sort());
        assert.equal(new Set(fullRun.spec).size, fullRun.spec.length);
        assert.ok(fullRun.spec.includes(path.join("tests", path.basename(__filename))));
    });

    it("npm test keeps every setting a run of one file has (.mocharc.json), and adds to its requires", () => {
        const shared = JSON.parse(fs.readFileSync(path.join(__dirname, "..", ".mocharc.json"), "utf8")) as Record<string, unknown>;
        const run = fullRun as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(shared)) {
            if (key === "require") assert.deepEqual((run.require as unknown[]).slice(0, (value as unknown[]).length), value, key);
            else assert.deepEqual(run[key], value, key);
        }
    });

    it("records how long a file took, under the file's name, and nothing when a run holds several files", () => {
        const name = `recorded-${process.pid}.test.ts`;
        const other = `other-${process.pid}.test.ts`;
        const recorded = (file: string) => path.join(DURATIONS_FOLDER, `${file}.ms`);
        // What mocha gives the root hooks: the root suite, whose suites are the files' top-level ones.
        const contextOf = (...files: string[]) =>
            ({ test: { parent: { suites: files.map((file) => ({ file: path.join(__dirname, file) })) } } }) as unknown as Mocha.Context;
        try {
            mochaHooks.beforeAll();
            mochaHooks.afterAll.call(contextOf(name, name));
            const ms = Number(fs.readFileSync(recorded(name), "utf8"));
            assert.ok(Number.isInteger(ms) && ms >= 0, String(ms));
            fs.rmSync(recorded(name));
            mochaHooks.beforeAll();
            mochaHooks.afterAll.call(contextOf(name, other));
            assert.deepEqual(
                [recorded(name), recorded(other)].filter((file) => fs.existsSync(file)),
                [],
            );
        } finally {
            fs.rmSync(recorded(name), { force: true });
            fs.rmSync(recorded(other), { force: true });
        }
    });
});
