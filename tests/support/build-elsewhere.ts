import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Builds the callback function's archive in another Node process whose clock runs years ahead
 * and whose time zone differs, into a scratch folder; returns its base64 SHA-256.
 */
export function buildArtifactElsewhere(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-elsewhere-"));
    try {
        const script =
            "const { buildFunctionArtifact } = require('./infra/function-artifact');" +
            `process.stdout.write(buildFunctionArtifact(undefined, ${JSON.stringify(path.join(dir, "callback.zip"))}).sha256);`;
        return execFileSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", "-r", "./tests/support/shifted-clock.ts", "-e", script],
            { cwd: ROOT, env: { ...process.env, TZ: "Asia/Kathmandu" }, encoding: "utf8" },
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
