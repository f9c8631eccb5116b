/**
 * `npm run readme-tables`: rewrites the README's tables that are rendered from code (the
 * configuration table from `infra/config-keys.ts`, the outputs table from `infra/stack-outputs.ts`).
 * Run it after changing a key's default, range or description, or an output's description; the
 * tests fail while a table is stale. Exit codes: 0 with one line per table saying whether it was
 * rewritten, 1 with one line naming the file and what was wrong (nothing written), 2 for any flag
 * but --help (nothing read or written); never a stack trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { README_TABLES, REWRITE_COMMAND, withTable, type RenderedTable } from "../infra/readme-tables";
import { parseFlags, runAsMain, type CommandSpec } from "./cli";

export const README_TABLES_USAGE = `Usage: ${REWRITE_COMMAND} [-- --help]

Rewrites the README's configuration and stack outputs tables from the code that declares them
(infra/config-keys.ts, infra/stack-outputs.ts), and says for each whether it was rewritten.
It takes no other options.`;

/** The README the command rewrites. */
const README = path.join(__dirname, "..", "README.md");

/** The command's flags: only -h/--help. */
export function parseReadmeTablesArgs(args: string[]): { help: boolean } {
    const { values } = parseFlags(args, { help: { type: "boolean", short: "h" } });
    return { help: values.help === true };
}

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

export const spec = {
    command: REWRITE_COMMAND,
    usage: README_TABLES_USAGE,
    parse: parseReadmeTablesArgs,
    run: async () => {
        let failure = "";
        const code = rewriteReadmeTables(README, { out: (line) => console.log(line), err: (line) => (failure = line) });
        if (code !== 0) throw new Error(failure);
    },
    isUsageError: () => false,
    describe: (error) => (error as Error).message,
} satisfies CommandSpec<ReturnType<typeof parseReadmeTablesArgs>>;

// Runs when started as a command (npm run …), not when a test loads the spec.
void runAsMain(module, spec);
