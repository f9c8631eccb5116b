/**
 * The README's configuration table, rendered from the keys' declaration (`infra/config-keys.ts`),
 * so that what the README says of a key's default and range is what the code does. A test compares
 * the README with {@link configTable}; `npm run readme-tables` rewrites the README's table
 * (`commands/readme-tables.ts`).
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
import { markdownRow, markdownTable } from "./markdown-table";

/** The configuration table's columns. */
const CONFIG_COLUMNS = ["Key", "Default", "Allowed", "Meaning"];

/** The table's header row: how the README's table is found. */
export const CONFIG_TABLE_HEADER = markdownRow(CONFIG_COLUMNS);

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
    return markdownTable(
        CONFIG_COLUMNS,
        CONFIG_KEYS.map((key) => {
            const declared = declarationOf(key);
            return [`\`${key}\``, defaultText(declared), allowedText(declared), declared.description];
        }),
    );
}
