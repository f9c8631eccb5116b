/**
 * The Lambda bundle's dependencies: the Powertools packages on one version, so that the bundle
 * holds one copy of their common package (two versions put two copies of it, and of what it
 * keeps per process, into `index.js`).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../infra/function-artifact";

const POWERTOOLS = "@aws-lambda-powertools/";

const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

describe("dependencies", () => {
    it("pins every Powertools package to one version", () => {
        const versions = Object.entries(packageJson.dependencies).filter(([name]) => name.startsWith(POWERTOOLS));
        assert.ok(versions.length >= 2, "the function uses Powertools' batch and logger");
        assert.deepEqual(new Set(versions.map(([, version]) => version)).size, 1, JSON.stringify(versions));
    });

    it("installs one copy of Powertools' common package, of that version", () => {
        const copies = Object.entries(lock.packages).filter(([where]) => where.endsWith(`node_modules/${POWERTOOLS}commons`));
        assert.deepEqual(
            copies.map(([where, { version }]) => [where, version]),
            [[`node_modules/${POWERTOOLS}commons`, packageJson.dependencies[`${POWERTOOLS}batch`]]],
        );
    });

    it("records a decision on every install script (npm 11's allowScripts), so npm ci warns of none", () => {
        const withScripts = Object.entries(lock.packages)
            .filter(([, entry]) => entry.hasInstallScript === true)
            .map(([where]) => where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length))
            .sort();
        assert.deepEqual(Object.keys(packageJson.allowScripts ?? {}).sort(), withScripts);
    });
});
