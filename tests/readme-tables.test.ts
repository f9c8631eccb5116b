/** The README's tables rendered from code (configuration, stack outputs), and `npm run readme-tables`, which rewrites them. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { README_TABLES_USAGE, rewriteReadmeTables } from "../commands/readme-tables";
import { runInProcess } from "./support/processes";
import { CONFIG_KEYS } from "../infra/config";
import { markdownTable } from "../infra/markdown-table";
import { findTable, README_TABLES, REWRITE_COMMAND, type RenderedTable } from "../infra/readme-tables";
import { STACK_OUTPUT_NAMES } from "../infra/stack-outputs";

const ROOT = path.join(__dirname, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** Runs the command on a file holding `text`: its exit code, what it printed, and the file afterwards. */
function rewrite(text: string, tables?: readonly RenderedTable[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-tables-"));
    try {
        const file = path.join(dir, "README.md");
        fs.writeFileSync(file, text);
        const out: string[] = [];
        const err: string[] = [];
        const code = rewriteReadmeTables(file, { out: (line) => out.push(line), err: (line) => err.push(line) }, tables);
        return { code, out, err, file, after: fs.readFileSync(file, "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("README tables rendered from code", () => {
    for (const table of README_TABLES) {
        it(`the README's ${table.name} table is the one the code renders`, () => {
            const found = findTable(README, table.header);
            assert.ok(found !== undefined, `README.md has no ${table.name} table`);
            assert.equal(found.text, table.render(), `README.md's ${table.name} table is stale: run \`${REWRITE_COMMAND}\``);
        });
    }

    it("the tables name every config key and every stack output, one row each", () => {
        const rows = (header: string) => (findTable(README, header)?.text ?? "").split("\n").slice(2);
        const [config, outputs] = README_TABLES.map((table) => rows(table.header).map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1]));
        assert.deepEqual(config, [...CONFIG_KEYS]);
        assert.deepEqual(outputs, STACK_OUTPUT_NAMES);
    });

    it("a cell's text cannot end its cell: a | in it is escaped, so every row keeps its columns", () => {
        const table = markdownTable(["Key", "Meaning"], [["`a`", "this | or that"]]);
        assert.equal(table, "| Key | Meaning |\n| --- | --- |\n| `a` | this \\| or that |");
        assert.deepEqual(findTable(table, "| Key | Meaning |")?.text, table);
    });

    it(`${REWRITE_COMMAND} is an npm script that runs commands/readme-tables.ts`, () => {
        const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
            .scripts;
        assert.match(scripts[REWRITE_COMMAND.replace(/^npm run /, "")] ?? "", /commands\/readme-tables\.ts$/);
    });

    describe(REWRITE_COMMAND, () => {
        it("takes --help and no other flag: anything else exits 2 naming it, and nothing is read or written", async () => {
            const readme = path.join(ROOT, "README.md");
            const before = fs.statSync(readme).mtimeMs;
            const help = await runInProcess("commands/readme-tables.ts", ["--help"]);
            assert.deepEqual([help.code, help.stdout, help.stderr], [0, `${README_TABLES_USAGE}\n`, ""]);
            for (const args of [["--bogus"], ["README.md"], ["--help=yes"]]) {
                const { code, stdout, stderr } = await runInProcess("commands/readme-tables.ts", args);
                assert.deepEqual([code, stdout], [2, ""], args.join(" "));
                assert.match(stderr, new RegExp(`^error: .+\nRun \`${REWRITE_COMMAND} -- --help\` for the options\\.\n$`), args.join(" "));
            }
            assert.equal(fs.statSync(readme).mtimeMs, before, "the README was not touched");
        });

        const stale = (table: RenderedTable) => `${table.header}\n| --- |\n| \`old\` | row |`;
        const document = (tables: string[]) => `# Title\r\n\r\n${tables.join("\r\n\r\nBetween.\r\n\r\n")}\r\n\r\nAfter.\r\n`;

        it("rewrites every stale table in place, keeping the file's line ends, and says so per table, naming the file", () => {
            const { code, out, err, file, after } = rewrite(document(README_TABLES.map(stale)));
            assert.deepEqual([code, err], [0, []]);
            assert.equal(after, document(README_TABLES.map((table) => table.render().replace(/\n/g, "\r\n"))));
            assert.deepEqual(
                out,
                README_TABLES.map((table) => `${file}: the ${table.name} table was rewritten`),
            );
        });

        it("leaves current tables as they are and says so", () => {
            const current = document(README_TABLES.map((table) => table.render().replace(/\n/g, "\r\n")));
            const { code, out, after } = rewrite(current);
            assert.equal(code, 0);
            assert.equal(after, current);
            assert.ok(out.length === README_TABLES.length && out.every((line) => line.endsWith("is current")), out.join("\n"));
        });

        it("fails with one line naming the file and the missing table, writing nothing, when a table is missing", () => {
            const [first, second] = README_TABLES;
            const text = document([stale(first)]);
            const { code, out, err, file, after } = rewrite(text, [first, second]);
            assert.equal(code, 1);
            assert.deepEqual(out, []);
            assert.equal(err.length, 1, err.join("\n"));
            assert.ok(err[0].startsWith(`${file}: `) && err[0].includes(second.header) && !/\n\s+at /.test(err[0]), err[0]);
            assert.equal(after, text, "the first table was not rewritten either");
        });

        it("fails naming the file when it cannot be read", () => {
            const missing = path.join(os.tmpdir(), "readme-tables-no-such-dir", "README.md");
            const err: string[] = [];
            assert.equal(rewriteReadmeTables(missing, { out: () => undefined, err: (line) => err.push(line) }), 1);
            assert.ok(err.length === 1 && err[0].startsWith(`${missing}: `) && /ENOENT/.test(err[0]), err.join("\n"));
        });
    });
});
