/**
 * The README's tables that are rendered from code: the configuration table (from the keys'
 * declaration, `infra/config-keys.ts`) and the stack outputs table (from `infra/stack-outputs.ts`).
 * Tests compare the README with them; `npm run readme-tables` rewrites them. Pure: text in, text out.
 */
import { CONFIG_TABLE_HEADER, configTable } from "./config-table";
import { STACK_OUTPUTS_TABLE_HEADER, stackOutputsTable } from "./stack-outputs";

/** A table of the README that is rendered from code. */
export interface RenderedTable {
    /** What the table lists, for messages. */
    readonly name: string;
    /** Its header row, which is how it is found in the README. */
    readonly header: string;
    /** The table as the code renders it. */
    readonly render: () => string;
}

/** Every table of the README that is rendered from code. */
export const README_TABLES: readonly RenderedTable[] = [
    { name: "configuration", header: CONFIG_TABLE_HEADER, render: configTable },
    { name: "stack outputs", header: STACK_OUTPUTS_TABLE_HEADER, render: stackOutputsTable },
];

/** The command that rewrites the README's rendered tables, as a stale-table message names it. */
export const REWRITE_COMMAND = "npm run readme-tables";

/**
 * The table in `markdown` that starts with the line `header`, up to the last `|` line that follows
 * it: where it starts and ends (as offsets) and its text; `undefined` when there is no such table.
 * Line ends may be `\n` or `\r\n`.
 */
export function findTable(markdown: string, header: string): { start: number; end: number; text: string } | undefined {
    const match = new RegExp(`^${header.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\r?$`, "m").exec(markdown);
    if (match === null) return undefined;
    const start = match.index;
    let end = start;
    while (end < markdown.length && markdown[end] === "|") {
        const lineEnd = markdown.indexOf("\n", end);
        end = lineEnd < 0 ? markdown.length : lineEnd + 1;
    }
    const text = markdown.slice(start, end).replace(/\r?\n$/, "");
    return { start, end: start + text.length, text: text.replace(/\r\n/g, "\n") };
}

/** `markdown` with `table` rendered afresh in place of the old one; throws when it has none. */
export function withTable(markdown: string, table: RenderedTable): string {
    const found = findTable(markdown, table.header);
    if (found === undefined) throw new Error(`no ${table.name} table (a line "${table.header}") to replace`);
    const eol = markdown.includes("\r\n") ? "\r\n" : "\n";
    return markdown.slice(0, found.start) + table.render().replace(/\n/g, eol) + markdown.slice(found.end);
}
