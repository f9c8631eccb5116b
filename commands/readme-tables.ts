/**
 * `npm run readme-tables`: rewrites the README's tables that are rendered from code (the
 * configuration table from `infra/config-keys.ts`, the outputs table from `infra/stack-outputs.ts`).
 * Run it after changing a key's default, range or description, or an output's description; the
 * tests fail while a table is stale. Exit codes: 0 with one line per table saying whether it was
 * rewritten, 1 with one line naming the file and what was wrong (nothing written); never a stack
 * trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { README_TABLES, withTable, type RenderedTable } from "../infra/readme-tables";

/** Where the command writes its lines. */
export interface ReadmeTablesOutput {
    out: (line: string) => void;
    err: (line: string) => void;
}

/**
 * Rewrites `tables` in the Markdown file `file` and returns the exit code; every line it writes
 * names the file, so that it is clear which one was (or was not) changed. The file is written once,
 * and only when every table was found.
 */
export function rewriteReadmeTables(file: string, output: ReadmeTablesOutput, tables: readonly RenderedTable[] = README_TABLES): number {
    try {
        const before = fs.readFileSync(file, "utf8");
        let after = before;
        const lines: string[] = [];
        for (const table of tables) {
            const next = withTable(after, table);
            lines.push(`${file}: the ${table.name} table ${next === after ? "is current" : "was rewritten"}`);
            after = next;
        }
        if (after !== before) fs.writeFileSync(file, after);
        lines.forEach((line) => output.out(line));
        return 0;
    } catch (error) {
        output.err(`${file}: ${(error as Error).message}`);
        return 1;
    }
}

// Run as a command, not when a test imports it.
if (require.main === module) {
    process.exitCode = rewriteReadmeTables(path.join(__dirname, "..", "README.md"), {
        out: (line) => console.log(line),
        err: (line) => console.error(line),
    });
}
