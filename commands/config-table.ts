/**
 * `npx ts-node --transpile-only commands/config-table.ts`: rewrites the README's configuration
 * table from the keys' declaration (`infra/config-keys.ts`). Run it after changing a key's
 * default, range or description; tests/config.test.ts fails while the README's table is stale.
 * Exit codes: 0 with one line saying whether the table was rewritten, 1 with one line naming the
 * file and what was wrong; never a stack trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigTable } from "../infra/config-table";

/** Where the command writes its one line. */
export interface ConfigTableOutput {
    out: (line: string) => void;
    err: (line: string) => void;
}

/**
 * Rewrites the configuration table of the Markdown file `file` from the declaration and returns
 * the exit code; the line it writes names the file, so that it is clear which one was (or was
 * not) changed.
 */
export function rewriteConfigTable(file: string, output: ConfigTableOutput): number {
    try {
        const before = fs.readFileSync(file, "utf8");
        const after = withConfigTable(before);
        if (after === before) {
            output.out(`${file}: the configuration table is current`);
        } else {
            fs.writeFileSync(file, after);
            output.out(`${file}: configuration table rewritten from infra/config-keys.ts`);
        }
        return 0;
    } catch (error) {
        output.err(`${file}: ${(error as Error).message}`);
        return 1;
    }
}

// Run as a command, not when a test imports it.
if (require.main === module) {
    process.exitCode = rewriteConfigTable(path.join(__dirname, "..", "README.md"), {
        out: (line) => console.log(line),
        err: (line) => console.error(line),
    });
}
