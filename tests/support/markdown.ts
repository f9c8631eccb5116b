/**
 * Just enough Markdown and shell reading for the documentation test: the headings a page has, the
 * links it makes, the command lines it shows. Pure functions over a page's text.
 *
 * Hand-written rather than a Markdown library: none is in the dependency tree, the project's pages
 * use a small, regular subset (ATX headings, fenced code, inline links), and what GitHub does with
 * a heading's anchor is one documented rule (below), while a full parser would not know it.
 */

/** A page's text split into what is code and what is prose, line by line. */
interface Block {
    kind: "prose" | "fence";
    /** The fence's info string (`bash`, `json`, empty), for fenced blocks. */
    info: string;
    lines: string[];
    /** The line number (1-based) of the block's first line. */
    start: number;
}

/** Splits a page into prose and fenced code blocks (``` fences, as the pages use). */
export function blocks(text: string): Block[] {
    const result: Block[] = [];
    let current: Block = { kind: "prose", info: "", lines: [], start: 1 };
    for (const [index, line] of text.split("\n").entries()) {
        const fence = /^\s*```(.*)$/.exec(line);
        if (fence !== null) {
            result.push(current);
            const start = index + 2;
            current =
                current.kind === "prose"
                    ? { kind: "fence", info: fence[1]!.trim(), lines: [], start }
                    : { kind: "prose", info: "", lines: [], start };
            continue;
        }
        current.lines.push(line);
    }
    result.push(current);
    return result.filter((block) => block.lines.length > 0);
}

/**
 * The anchor GitHub gives a heading: its text as shown (inline code and link syntax dropped, the
 * words kept), lower case, every character that is not a letter, digit, mark, space, `-` or `_`
 * removed, each space made a `-`. A heading whose anchor a previous one already took gets `-1`,
 * `-2`… in order.
 */
export function headingAnchor(heading: string): string {
    const shown = heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/`/g, "")
        .trim()
        .toLowerCase();
    return shown.replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** The anchors of every heading of a page, duplicates numbered as GitHub numbers them. */
export function anchors(text: string): Set<string> {
    const seen = new Map<string, number>();
    const result = new Set<string>();
    for (const block of blocks(text)) {
        if (block.kind !== "prose") continue;
        for (const line of block.lines) {
            const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
            if (heading === null) continue;
            const base = headingAnchor(heading[1]!);
            const count = seen.get(base) ?? 0;
            seen.set(base, count + 1);
            result.add(count === 0 ? base : `${base}-${count}`);
        }
    }
    return result;
}

/** Inline code spans of the prose, with line breaks inside a span read as spaces (as Markdown does). */
export function inlineCode(text: string): string[] {
    const prose = blocks(text)
        .filter((block) => block.kind === "prose")
        .map((block) => block.lines.join("\n"))
        .join("\n\n");
    return [...prose.matchAll(/`([^`]+)`/g)].map((match) => match[1]!.replace(/\s*\n\s*/g, " "));
}

/** A link of the prose: its target as written, and the line it is on (1-based, for messages). */
export interface Link {
    target: string;
    line: number;
}

/** Every inline link and image of the prose (not those inside code). */
export function links(text: string): Link[] {
    const result: Link[] = [];
    for (const block of blocks(text)) {
        if (block.kind !== "prose") continue;
        for (const [offset, content] of block.lines.entries()) {
            // Code spans hide what looks like a link; their text still counts as a link's text.
            const visible = content.replace(/`[^`]*`/g, "`code`");
            for (const match of visible.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g))
                result.push({ target: match[1]!, line: block.start + offset });
            // A reference definition (`[label]: target`) is where `[text][label]` links lead.
            const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(content);
            if (definition !== null) result.push({ target: definition[1]!, line: block.start + offset });
        }
    }
    return result;
}

/** Words of a shell command line, quotes removed; operators (`|`, `>`, `&&`, `;`, `(`, `)`) are words of their own. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    let word: string | undefined;
    for (let i = 0; i < line.length; i++) {
        const char = line[i]!;
        if (char === "'" || char === '"') {
            const end = line.indexOf(char, i + 1);
            if (end < 0) throw new Error(`unclosed ${char} in ${JSON.stringify(line)}`);
            word = (word ?? "") + line.slice(i + 1, end);
            i = end;
        } else if (/\s/.test(char)) {
            if (word !== undefined) words.push(word);
            word = undefined;
        } else if (char === "#" && word === undefined) {
            break; // a comment
        } else if (char === "<" && /^<[\w .-]+>/.test(line.slice(i))) {
            // A placeholder (`<account>`), not a redirection: a word of its own kind.
            const placeholder = /^<[\w .-]+>/.exec(line.slice(i))![0];
            word = (word ?? "") + placeholder;
            i += placeholder.length - 1;
        } else if ("|&;()<>".includes(char) && word === undefined) {
            const operator = /^(\|\||&&|\d?>>?|<|\||;|\(|\)|&)/.exec(line.slice(i))![0];
            words.push(operator);
            i += operator.length - 1;
        } else {
            word = (word ?? "") + char;
        }
    }
    if (word !== undefined) words.push(word);
    return words;
}

/** A shell operator: where one command's words end. */
export const isOperator = (word: string): boolean => /^(\|\||&&|\d?>>?|<|\||;|\(|\)|&)$/.test(word);

/**
 * The command lines a page shows: each line of a shell code block (continuation lines joined), each
 * `$ ` line of another code block (a transcript), and each inline code span.
 */
export function commandLines(text: string): string[] {
    const result: string[] = [];
    for (const block of blocks(text)) {
        if (block.kind !== "fence") continue;
        const joined = block.lines
            .join("\n")
            .replace(/\\\n\s*/g, " ")
            .split("\n");
        if (["bash", "sh", "shell", "console"].includes(block.info)) result.push(...joined.map((line) => line.replace(/^\$ /, "")));
        else result.push(...joined.filter((line) => line.startsWith("$ ")).map((line) => line.slice(2)));
    }
    return [...result, ...inlineCode(text)];
}

/** An npm script a command line runs, and the arguments it passes after `--`. */
export interface ScriptCall {
    script: string;
    args: string[];
    /** The command as shown, for messages. */
    shown: string;
}

/** The npm script calls of a command line (`npm start`, `npm test`, `npm run [--silent] NAME [--silent] [-- ARGS]`). */
export function scriptCalls(line: string): ScriptCall[] {
    // A command substitution, "$(npm run …)", is a quoted word of the outer line: read it on its own.
    const calls: ScriptCall[] = [...line.matchAll(/\$\(([^()]*)\)/g)].flatMap((match) => scriptCalls(match[1]!));
    const words = shellWords(line);
    for (let i = 0; i < words.length; i++) {
        if (words[i] !== "npm") continue;
        let j = i + 1;
        while (j < words.length && words[j]!.startsWith("-")) j++;
        const command = words[j];
        let script: string | undefined;
        if (command === "start" || command === "test") script = command;
        else if (command === "run" || command === "run-script") {
            j++;
            while (j < words.length && words[j]!.startsWith("-") && words[j] !== "--") j++;
            script = words[j];
        }
        if (script === undefined || isOperator(script)) continue;
        j++;
        while (j < words.length && words[j]!.startsWith("-") && words[j] !== "--") j++;
        const args: string[] = [];
        if (words[j] === "--") for (j++; j < words.length && !isOperator(words[j]!); j++) args.push(words[j]!);
        calls.push({ script, args, shown: line.trim() });
    }
    return calls;
}
