/**
 * The project runs on Node.js 22, the Lambda runtime's major, on any machine whose own Node.js is
 * 20 or later: the pinned `node` dev dependency is what npm scripts run on. These facts live in
 * several files (package.json, .nvmrc, the commands' check); this keeps them in step.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkNodeVersion, MINIMUM_NODE_MAJOR } from "../commands/cli";
import { PROJECT_ROOT } from "../infra/function-artifact";
import { runTypeScript } from "./support/processes";

const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    engines: { node: string };
    devDependencies: Record<string, string>;
};
const pinned = packageJson.devDependencies.node;

describe("the Node.js the project runs on", () => {
    it("is pinned exactly as a dev dependency, of the major the commands require", () => {
        assert.match(pinned, /^\d+\.\d+\.\d+$/, "the node dev dependency is an exact version");
        assert.equal(Number(pinned.split(".")[0]), MINIMUM_NODE_MAJOR);
    });

    it("is the major .nvmrc names for deploying (Pulumi runs the system's node)", () => {
        assert.equal(fs.readFileSync(path.join(PROJECT_ROOT, ".nvmrc"), "utf8").trim(), String(MINIMUM_NODE_MAJOR));
    });

    it("does not stop an install on an older Node.js: engines allow 20, and nothing makes them strict", () => {
        assert.equal(packageJson.engines.node, ">=20");
        const npmrc = path.join(PROJECT_ROOT, ".npmrc");
        if (fs.existsSync(npmrc)) assert.doesNotMatch(fs.readFileSync(npmrc, "utf8"), /engine-strict\s*=\s*true/);
    });

    it("is the node npm scripts run, even with another node first on PATH", function () {
        this.timeout(30_000);
        // A PATH whose first `node` is not the pinned one (as the machine's would be): npm puts
        // node_modules/.bin before it for what it runs. npm itself runs on this process's node.
        const decoy = fs.mkdtempSync(path.join(os.tmpdir(), "decoy-node-"));
        try {
            fs.writeFileSync(path.join(decoy, "node"), "#!/bin/sh\necho decoy\n", { mode: 0o755 });
            const npmCli = fs.realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
            const version = execFileSync(process.execPath, [npmCli, "exec", "--offline", "--call", "node -p process.versions.node"], {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                env: { ...process.env, PATH: [decoy, process.env.PATH ?? ""].join(path.delimiter) },
            }).trim();
            assert.equal(version, pinned);
        } finally {
            fs.rmSync(decoy, { recursive: true, force: true });
        }
    });

    it("a command started on an older Node.js says so and exits 1: not a flag's fault, so no hint at --help", async function () {
        this.timeout(30_000);
        const folder = fs.mkdtempSync(path.join(os.tmpdir(), "old-node-"));
        try {
            // This Node.js, reporting itself as 20: what `ts-node commands/….ts` on the machine's node would meet.
            const older = path.join(folder, "older.js");
            fs.writeFileSync(older, 'Object.defineProperty(process.versions, "node", { value: "20.20.2" });\n');
            let expected = "";
            try {
                checkNodeVersion("20.20.2");
            } catch (error) {
                expected = `error: ${(error as Error).message}\n`;
            }
            // Both commands at once: independent, and each process costs about a second to start.
            const scripts = ["commands/start.ts", "commands/execution.ts"];
            const results = await Promise.all(
                scripts.map((script) => runTypeScript(script, ["--help"], { nodeArgs: ["-r", older], timeoutMs: 30_000 })),
            );
            results.forEach((result, i) => {
                assert.equal(result.stderr, expected, scripts[i]);
                assert.equal(result.code, 1, scripts[i]);
                assert.equal(result.stdout, "", scripts[i]);
            });
        } finally {
            fs.rmSync(folder, { recursive: true, force: true });
        }
    });
});
