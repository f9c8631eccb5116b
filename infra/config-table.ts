/**
 * The README's configuration table, rendered from the keys' declaration (`infra/config-keys.ts`),
 * so that what the README says of a key's default and range is what the code does. A test compares
 * the README with {@link configTable}; `commands/config-table.ts` rewrites the README's table.
 */
import {
    AWS_TAG_LIMITS,
    AWS_TAG_PUNCTUATION,
    CONFIG_KEYS,
    declarationOf,
    MAX_USER_TAGS,
    RESERVED_TAG_PREFIX,
    TAG_NAMES_PULUMI_CANNOT_CARRY,
    type KeyDeclaration,
} from "./config-keys";

/** The table's header row: how the README's table is found. */
export const CONFIG_TABLE_HEADER = "| Key | Default | Allowed | Meaning |";

/** The "Default" cell: the value as it would be set, or "not set" for an optional key. */
export function defaultText(declared: KeyDeclaration): string {
    if (declared.default === undefined) return "not set";
    return `\`${typeof declared.default === "object" ? JSON.stringify(declared.default) : String(declared.default)}\``;
}

/** The "Allowed" cell: what the validation accepts, in words. */
export function allowedText(declared: KeyDeclaration): string {
    switch (declared.type) {
        case "integer": {
            const range = declared.oneOf !== undefined ? `one of ${declared.oneOf.join(", ")}` : `${declared.min} – ${declared.max}`;
            return declared.rule === undefined ? range : `${range} (${declared.rule})`;
        }
        case "choice":
            return declared.choices.map((choice) => `\`${choice}\``).join(", ");
        case "boolean":
            return "`true`, `false`";
        case "email":
            return "an email address";
        case "policyArn":
            return "the ARN of an IAM managed policy";
        case "tags":
            return (
                `a map of string values; names of 1–${AWS_TAG_LIMITS.nameLength} characters, not starting with \`${RESERVED_TAG_PREFIX}\`, ` +
                `not ${TAG_NAMES_PULUMI_CANNOT_CARRY.map((name) => `\`${name}\``).join(" or ")} (the Pulumi SDK cannot carry them); ` +
                `values of at most ${AWS_TAG_LIMITS.valueLength} characters; letters, digits, spaces and \`${AWS_TAG_PUNCTUATION.join(" ")}\` only; ` +
                `at most ${MAX_USER_TAGS} tags`
            );
    }
}

/** The README's configuration table: a row per key, in the declaration's order. */
export function configTable(): string {
    const rows = CONFIG_KEYS.map((key) => {
        const declared = declarationOf(key);
        return `| \`${key}\` | ${defaultText(declared)} | ${allowedText(declared)} | ${declared.description} |`;
    });
    return [CONFIG_TABLE_HEADER, "| --- | --- | --- | --- |", ...rows].join("\n");
}

/**
 * The table in `markdown`, from its header row to the last row that follows it: where it starts and
 * ends (as offsets) and its text; `undefined` when there is no such table.
 */
export function findConfigTable(markdown: string): { start: number; end: number; text: string } | undefined {
    const start = markdown.indexOf(`${CONFIG_TABLE_HEADER}\n`);
    if (start < 0) return undefined;
    let end = start;
    while (end < markdown.length && markdown[end] === "|") {
        const lineEnd = markdown.indexOf("\n", end);
        end = lineEnd < 0 ? markdown.length : lineEnd + 1;
    }
    const text = markdown.slice(start, end).replace(/\n$/, "");
    return { start, end: start + text.length, text };
}

/** `markdown` with its configuration table replaced by {@link configTable}'s; throws when it has none. */
export function withConfigTable(markdown: string): string {
    const found = findConfigTable(markdown);
    if (found === undefined) throw new Error(`no configuration table (a line "${CONFIG_TABLE_HEADER}") to replace`);
    return markdown.slice(0, found.start) + configTable() + markdown.slice(found.end);
}
