/**
 * The execution inputs `npm start` and `npm run execution` take: any JSON Step Functions takes
 * (`0`, `false`, `""` and `null` included), up to its size limit, and nested no deeper than these
 * commands can handle. Parsing is pure and synchronous ({@link executionInputOption}: `--input`'s
 * text is checked at once, `--input-file` only named); reading the file is the asynchronous step
 * {@link readExecutionInput}, bounded in size and time, that each command's run starts with.
 */
import { LIMITS } from "../functions/callback/error-text";
import { CliError, DEFAULT_INPUT, wholeNumber } from "./cli";
import { describeInputFile, readInputFile, type InputSources } from "./input-file";

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

/** The flag that names the input's file. */
export const INPUT_FILE_FLAG = "--input-file";

/** The flag that bounds how long the input's file or standard input is read, and its default. */
export const INPUT_TIMEOUT_FLAG = "--input-timeout-seconds";

/**
 * How long `--input-file` is read by default: ample for a file, or for a program that writes the
 * input into a pipe; a pipe that never ends or a named pipe nobody writes to is refused after it.
 */
export const DEFAULT_INPUT_TIMEOUT_SECONDS = 30;

/** The longest {@link INPUT_TIMEOUT_FLAG} takes (an hour: someone typing, or a slow producer). */
export const MAX_INPUT_TIMEOUT_SECONDS = 3600;

/** What an input file holds, as the empty file's message and a terminal's notice say it. */
export const EXECUTION_INPUT_HOLDS = "the execution input as JSON (e.g. {})";

/**
 * The execution input as the flags give it: the value itself (`--input`'s, or the console's
 * default), or the file to read it from (`--input-file`; `-` for standard input).
 */
export type ExecutionInputOption = { input: unknown; inputFile?: undefined } | { inputFile: string; input?: undefined };

/** `--input`'s text as an input, or a {@link CliError} naming the flag for text that is not JSON. */
function parseInputText(text: string, flag: string): unknown {
    try {
        return parseExecutionInput(text, flag);
    } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        throw new CliError(`${flag} is not valid JSON: ${error.message}`);
    }
}

/**
 * The input of `--input TEXT` (checked now) or `--input-file PATH` (only named: read by
 * {@link readExecutionInput}); the console's default without either. Reads nothing.
 */
export function executionInputOption(text: string | undefined, file: string | undefined): ExecutionInputOption {
    if (text !== undefined && file !== undefined) throw new CliError(`give --input or ${INPUT_FILE_FLAG}, not both`);
    if (file === "") throw new CliError(`${INPUT_FILE_FLAG} is empty; give a path, or - for standard input`);
    if (file !== undefined) return { inputFile: file };
    return { input: text === undefined ? DEFAULT_INPUT : parseInputText(text, "--input") };
}

/** The options of the input's flags, for `parseFlags` (both commands take them). */
export const INPUT_FLAG_OPTIONS = {
    input: { type: "string" },
    "input-file": { type: "string" },
    "input-timeout-seconds": { type: "string" },
} as const;

/** The input flags' values, parsed: the input or its file, and how long the file may take to read. */
export type InputFlags = ExecutionInputOption & { inputTimeoutSeconds: number };

/** The input flags of `values` ({@link INPUT_FLAG_OPTIONS}); with `--help`, the default input, unchecked. */
export function parseInputFlags(
    values: { input?: string; "input-file"?: string; "input-timeout-seconds"?: string },
    help: boolean,
): InputFlags {
    const inputTimeoutSeconds =
        wholeNumber(INPUT_TIMEOUT_FLAG, values["input-timeout-seconds"], 1, MAX_INPUT_TIMEOUT_SECONDS) ?? DEFAULT_INPUT_TIMEOUT_SECONDS;
    // --help reads and checks nothing, not even standard input.
    if (help) return { input: DEFAULT_INPUT, inputTimeoutSeconds };
    return { ...executionInputOption(values.input, values["input-file"]), inputTimeoutSeconds };
}

/**
 * The execution input of `option`: the value it holds, or its file (or standard input) read by
 * `deadline` (ms since the epoch; by default `option.inputTimeoutSeconds` from now), at most {@link MAX_INPUT_BYTES} and a few bytes more, and
 * parsed. Throws a {@link CliError} or {@link ExecutionInputError} that names the flag.
 */
export async function readExecutionInput(
    option: ExecutionInputOption & { inputTimeoutSeconds?: number },
    deadline = Date.now() + (option.inputTimeoutSeconds ?? DEFAULT_INPUT_TIMEOUT_SECONDS) * 1000,
    sources?: InputSources,
): Promise<unknown> {
    if (option.inputFile === undefined) return option.input;
    const text = await readInputFile(
        {
            flag: INPUT_FILE_FLAG,
            path: option.inputFile,
            holds: EXECUTION_INPUT_HOLDS,
            maxBytes: MAX_INPUT_BYTES,
            limit: `an execution input holds at most ${MAX_INPUT_BYTES} bytes`,
            deadline,
            timeoutFlag: INPUT_TIMEOUT_FLAG,
        },
        sources,
    );
    return parseInputText(text, describeInputFile(INPUT_FILE_FLAG, option.inputFile));
}
