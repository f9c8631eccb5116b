/**
 * A Markdown table (GitHub's syntax) from a header and rows of cell texts, for the README's tables
 * that are rendered from code (`infra/config-table.ts`, `infra/stack-outputs.ts`). Pure.
 */

/** One row: its cells between pipes, each `|` in a cell escaped (it would end the cell). */
export function markdownRow(cells: readonly string[]): string {
    return `| ${cells.map((text) => text.replace(/\|/g, "\\|")).join(" | ")} |`;
}

/** The table: the header row, the delimiter row, then a row per entry of `rows`. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
    return [markdownRow(header), markdownRow(header.map(() => "---")), ...rows.map(markdownRow)].join("\n");
}
