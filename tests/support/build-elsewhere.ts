import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BUNDLE_CACHE_VARIABLE } from "../../infra/function-artifact";
import { TYPESCRIPT_NODE_ARGS } from "./typescript-child";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Builds the callback function's archive in another Node process whose clock runs years ahead
 * and whose time zone differs, into a scratch folder; returns its base64 SHA-256. It bundles
 * afresh: the test run's folder of bundles is not passed on. Its temporary directory is the
 * scratch folder, not the run's: tsx, seeing its clock years ahead, would empty the transpile
 * cache the runs keep (every entry looks years old) and leave entries dated in the future.
 */
export function buildArtifactElsewhere(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-elsewhere-"));
    try {
        const script =
            "const { buildFunctionArtifact } = require('./infra/function-artifact');" +
            `process.stdout.write(buildFunctionArtifact(undefined, ${JSON.stringify(path.join(dir, "callback.zip"))}).sha256);`;
        return execFileSync(process.execPath, [...TYPESCRIPT_NODE_ARGS, "--import", "./tests/support/shifted-clock.ts", "-e", script], {
            cwd: ROOT,
            env: { ...process.env, TZ: "Asia/Kathmandu", [BUNDLE_CACHE_VARIABLE]: "", TMPDIR: dir, TEMP: dir, TMP: dir },
            encoding: "utf8",
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
