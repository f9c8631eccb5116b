/**
 * The execution inputs `npm start` and `npm run execution` take: any JSON Step Functions takes
 * (`0`, `false`, `""` and `null` included), up to its size limit, and nested no deeper than these
 * commands can handle. Pure: parses text, throws {@link ExecutionInputError} naming what is wrong.
 */
import { LIMITS } from "../functions/callback/error-text";

/**
 * Step Functions' limit on an execution's input: 262,144 bytes of the JSON text as UTF-8 ("Maximum
 * input or output size for a task, state, or execution" in its quotas), the limit on a task's
 * output too.
 */
export const MAX_INPUT_BYTES = LIMITS.outputBytes;

/**
 * The deepest nesting of arrays and objects these commands take. AWS documents no such limit; this
 * one is theirs: the local run's interpreter, and `JSON.stringify` itself, recurse once per level
 * and overflow the stack a few thousand levels down (measured: 2,000 runs, 4,000 does not).
 */
export const MAX_INPUT_DEPTH = 1000;

/** An input that is not one these commands can start an execution with; the message names the flag and the reason. */
export class ExecutionInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ExecutionInputError";
    }
}

/**
 * How deeply the arrays and objects of JSON text nest (`1` for `[]`, `0` for a number), counted
 * without recursion, skipping brackets inside strings. For text that is not JSON the figure means
 * nothing; the parser reports that text.
 */
export function jsonDepth(text: string): number {
    let depth = 0;
    let deepest = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
            if (c === "\\")
                i++; // the escaped character cannot end the string
            else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === "[" || c === "{") deepest = Math.max(deepest, ++depth);
        else if (c === "]" || c === "}") depth--;
    }
    return deepest;
}

/**
 * Parses the JSON text of an execution input, given with `flag` (`--input`, `--input-file x.json`):
 * refuses input nested deeper than {@link MAX_INPUT_DEPTH} (before parsing it) and input over
 * {@link MAX_INPUT_BYTES} as sent (`JSON.stringify` of what it parses to: the form `npm run
 * execution` sends to StartExecution). Text that is not JSON throws the parser's SyntaxError.
 */
export function parseExecutionInput(text: string, flag: string): unknown {
    const depth = jsonDepth(text);
    if (depth > MAX_INPUT_DEPTH) {
        throw new ExecutionInputError(
            `${flag} is nested ${depth} levels deep; these commands take at most ${MAX_INPUT_DEPTH} ` +
                "(their limit, not AWS's, which documents none: deeper input overflows the stack of the code that handles it)",
        );
    }
    const value = JSON.parse(text) as unknown;
    const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
    if (bytes > MAX_INPUT_BYTES) {
        throw new ExecutionInputError(
            `${flag} is ${bytes} bytes as JSON (UTF-8); Step Functions takes an execution input of at most ${MAX_INPUT_BYTES} bytes (256 KiB)`,
        );
    }
    return value;
}
