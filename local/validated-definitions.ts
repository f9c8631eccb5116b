/**
 * The definitions the local run's interpreter has validated already, so that each is validated
 * once: aws-local-stepfunctions validates with asl-validator, which compiles its JSON schema anew
 * on every call (100 to 250 ms of CPU here). Remembered for the process and, during a test run,
 * for the whole run: the run names a folder of its own in {@link BUNDLE_CACHE_VARIABLE}, where a
 * marker file per definition tells the run's other processes (test workers, commands) that it passed.
 * Without the variable (`npm start`), only this process remembers.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUNDLE_CACHE_VARIABLE } from "../infra/function-artifact";

/** The definitions validated in this process (their JSON text). */
const VALIDATED = new Set<string>();

/** The marker of a definition in the run's folder, or undefined outside a test run. */
function markerFile(text: string): string | undefined {
    const folder = process.env[BUNDLE_CACHE_VARIABLE];
    if (folder === undefined || folder === "") return undefined;
    return path.join(folder, `valid-definition-${createHash("sha256").update(text).digest("hex")}`);
}

/** Whether the definition whose JSON text is `text` passed validation in this process or this test run. */
export function wasValidated(text: string): boolean {
    if (VALIDATED.has(text)) return true;
    const marker = markerFile(text);
    return marker !== undefined && fs.existsSync(marker);
}

/** Remembers that the definition whose JSON text is `text` passed validation. Call only once it has. */
export function rememberValidated(text: string): void {
    VALIDATED.add(text);
    const marker = markerFile(text);
    if (marker === undefined) return;
    try {
        fs.writeFileSync(marker, "");
    } catch {
        // Only a saving for the run's other processes: a folder that cannot be written costs that.
    }
}
