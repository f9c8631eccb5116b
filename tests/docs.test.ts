/**
 * The README and docs/*.md against the code: every npm script they show exists, every flag they
 * pass to a command is one its parser takes (the whole line parses, where it names no placeholder),
 * every `npx mocha` path exists, and every relative link and #anchor leads somewhere.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCallbackArgs } from "../commands/callback-args";
import { parseDeployPolicyArgs } from "../commands/deploy-policy-args";
import { parseExecutionArgs } from "../commands/execution-args";
import { parseStartArgs } from "../commands/start-args";
import { anchors, commandLines, headingAnchor, inlineCode, links, scriptCalls, shellWords, type ScriptCall } from "./support/markdown";

const ROOT = path.resolve(__dirname, "..");
/** A code span that is a path in this repository: a file with an extension under one of its source folders. */
const REPOSITORY_PATH = /^(?:bench|commands|docs|examples|functions|infra|local|policy|tests|view)\/[\w./-]+\.[a-z]+$/;
const DOCS_DIR = path.join(ROOT, "docs");

/** The pages users read: the README and every page of docs/. */
const PAGES = [
    "README.md",
    ...fs
        .readdirSync(DOCS_DIR)
        .filter((file) => file.endsWith(".md"))
        .map((file) => path.join("docs", file)),
];
const read = (page: string): string => fs.readFileSync(path.join(ROOT, page), "utf8");

const SCRIPTS = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** The flag parser of each command that takes flags. */
const PARSERS: Record<string, (args: string[]) => unknown> = {
    start: parseStartArgs,
    execution: parseExecutionArgs,
    callback: parseCallbackArgs,
    "deploy-policy": parseDeployPolicyArgs,
};

/** Pages that name their commands' flags in sentences (`--task-timeout-seconds N`), and those commands. */
const FLAGS_IN_SENTENCES: Record<string, string[]> = {
    "docs/local-run.md": ["start", "execution"],
    "docs/callback-function.md": ["callback"],
};

/** npm's own flag, shown beside the commands' flags. */
const NPM_FLAGS = ["--silent"];

/** The flag whose file the parsers read at once (`--html` checks only its folder; the others only name a file). */
const READ_WHEN_PARSED = "--input-file";

/**
 * Whether the parser declares a flag: node's parseArgs, which every parser uses in strict mode,
 * refuses an undeclared one as "Unknown option '--flag'"; a declared one fails, if at all, for
 * its missing value or the other flags it needs.
 */
function declares(parse: (args: string[]) => unknown, flag: string): boolean {
    try {
        parse([flag]);
        return true;
    } catch (error) {
        return !(error as Error).message.includes(`Unknown option '${flag}'`);
    }
}

/**
 * A shown argument that stands for something (`<account>`, `$region`, `ARN`, `FILE`, `…`), or
 * standard input (`-`), which parsing would read: such a line is checked by its flag names only.
 */
const isPlaceholder = (word: string): boolean => /[<>$…`]/.test(word) || /^[A-Z][A-Z_]*$/.test(word) || word === "-";

const calls: ScriptCall[] = PAGES.flatMap((page) => commandLines(read(page)).flatMap((line) => scriptCalls(line)));

describe("docs: commands shown", () => {
    it("finds the commands the pages show (the scan itself works)", () => {
        for (const script of Object.keys(PARSERS)) {
            assert.ok(
                calls.some((call) => call.script === script && call.args.length > 0),
                `no page shows npm ${script} with flags`,
            );
        }
    });

    it("every npm script shown is one of package.json's scripts", () => {
        const missing = calls.filter((call) => !(call.script in SCRIPTS)).map((call) => `${call.script} (in: ${call.shown})`);
        assert.deepEqual(missing, []);
    });

    it("the probe tells a declared flag from an undeclared one, for every parser", () => {
        for (const [script, parse] of Object.entries(PARSERS)) {
            assert.equal(declares(parse, "--help"), true, script);
            assert.equal(declares(parse, "--no-such-flag"), false, script);
        }
    });

    it("every flag shown is one the command's parser declares", () => {
        const unknown: string[] = [];
        for (const call of calls) {
            const parse = PARSERS[call.script];
            if (parse === undefined) continue;
            for (const word of call.args) {
                if (!/^--?[a-zA-Z]/.test(word)) continue;
                const flag = word.replace(/=.*$/, "");
                if (!declares(parse, flag)) unknown.push(`${flag} (in: ${call.shown})`);
            }
        }
        assert.deepEqual(unknown, []);
    });

    it("every flag a page names in a sentence is one of that page's commands' flags", () => {
        const unknown: string[] = [];
        let named = 0;
        for (const [page, scripts] of Object.entries(FLAGS_IN_SENTENCES)) {
            // A code span that starts with a flag names flags (`--executions N --concurrency C`).
            const spans = inlineCode(read(page)).filter((span) => /^--[a-z]/.test(span));
            for (const flag of spans.flatMap((span) => shellWords(span).filter((word) => /^--[a-z]/.test(word)))) {
                named += 1;
                const name = flag.replace(/=.*$/, "");
                if (!NPM_FLAGS.includes(name) && !scripts.some((script) => declares(PARSERS[script]!, name)))
                    unknown.push(`${page}: ${name}`);
            }
        }
        assert.ok(named > 0, "no flag found in the pages' sentences");
        assert.deepEqual(unknown, []);
    });

    describe("every line shown without a placeholder parses", () => {
        let folder: string;
        const initCwd = process.env.INIT_CWD;

        before(() => {
            // Relative paths are read from INIT_CWD (the folder npm was run in): a scratch folder
            // that holds the input files the lines name.
            folder = fs.mkdtempSync(path.join(os.tmpdir(), "docs-test-"));
            process.env.INIT_CWD = folder;
        });

        after(() => {
            if (initCwd === undefined) delete process.env.INIT_CWD;
            else process.env.INIT_CWD = initCwd;
            fs.rmSync(folder, { recursive: true, force: true });
        });

        it("parses each one with its command's parser", () => {
            // A command named in a sentence (`npm run callback`) is not a line to run: those with arguments are.
            const literal = calls.filter(
                (call) => PARSERS[call.script] !== undefined && call.args.length > 0 && !call.args.some(isPlaceholder),
            );
            assert.ok(literal.length >= Object.keys(PARSERS).length, "too few literal lines to check");
            const refused: string[] = [];
            for (const call of literal) {
                call.args.forEach((word, i) => {
                    const file = call.args[i + 1];
                    if (word !== READ_WHEN_PARSED || file === undefined) return;
                    fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
                    fs.writeFileSync(path.join(folder, file), "{}");
                });
                try {
                    PARSERS[call.script]!(call.args);
                } catch (error) {
                    refused.push(`${call.shown}: ${(error as Error).message}`);
                }
            }
            assert.deepEqual(refused, []);
        });
    });

    it("every npx mocha path shown exists", () => {
        const lines = PAGES.flatMap((page) => commandLines(read(page)));
        const paths = lines.flatMap((line) => {
            const words = shellWords(line);
            const at = words.findIndex((word, i) => word === "npx" && words[i + 1] === "mocha");
            return at < 0 ? [] : words.slice(at + 2).filter((word) => !word.startsWith("-") && /[/.]/.test(word));
        });
        assert.ok(paths.length > 0, "no page shows npx mocha with a file");
        assert.deepEqual(
            paths.filter((file) => !fs.existsSync(path.join(ROOT, file))),
            [],
        );
    });
});

describe("docs: links", () => {
    it("reads anchors as GitHub makes them", () => {
        assert.equal(headingAnchor("A picture of the execution: `--html FILE`"), "a-picture-of-the-execution---html-file");
        assert.equal(headingAnchor("The function's side: `handOff()`"), "the-functions-side-handoff");
        assert.equal(headingAnchor("Hand-off to an external process"), "hand-off-to-an-external-process");
        assert.deepEqual([...anchors("# A\n\n## A\n\n```\n# not a heading\n```\n")], ["a", "a-1"]);
    });

    for (const page of PAGES) {
        it(`${page}: every relative link and #anchor resolves`, () => {
            const text = read(page);
            const broken: string[] = [];
            for (const { target, line } of links(text)) {
                if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
                const [file = "", anchor] = target.split("#", 2);
                const resolved = file === "" ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
                if (!fs.existsSync(resolved)) {
                    broken.push(`line ${line}: ${target} (no ${path.relative(ROOT, resolved)})`);
                    continue;
                }
                if (anchor !== undefined && !anchors(fs.readFileSync(resolved, "utf8")).has(anchor))
                    broken.push(`line ${line}: ${target} (no heading #${anchor} in ${path.relative(ROOT, resolved)})`);
            }
            assert.deepEqual(broken, []);
        });
    }

    it("reads reference-style links too ([text][label] with [label]: target)", () => {
        assert.deepEqual(
            links("See [the run][lr].\n\n[lr]: docs/local-run.md#flags\n").map(({ target }) => target),
            ["docs/local-run.md#flags"],
        );
    });

    for (const page of PAGES) {
        it(`${page}: every file of the repository named in a code span exists`, () => {
            // A page that says `infra/x.ts` sends the reader there: after a rename it must follow.
            const named = inlineCode(read(page)).filter((code) => REPOSITORY_PATH.test(code));
            assert.deepEqual(
                named.filter((file) => !fs.existsSync(path.join(ROOT, file))),
                [],
            );
        });
    }

    it("every page of docs/ is linked from the README", () => {
        const linked = new Set(links(read("README.md")).map(({ target }) => target.split("#")[0]));
        assert.deepEqual(
            PAGES.filter((page) => page !== "README.md" && !linked.has(page)),
            [],
        );
    });
});
