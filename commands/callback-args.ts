/**
 * `npm run callback`'s flags, and the files or standard input they name: parsed and checked into
 * one {@link TaskAnswerRequest}, or a {@link CliError} (exit code 2) that says what was wrong,
 * never showing the token. Parsing is pure; reading is bounded in size and in time.
 */
import { parseArgs } from "node:util";
import { LIMITS } from "../functions/callback/error-text";
import { CliError } from "./cli";
import { describeInputFile, mayBeAToken, readInputFile, shownValue, STDIN_PATH, type InputSources } from "./input-file";
import { printable } from "../view/execution-view";
import {
    checkTaskFailure,
    checkTaskOutput,
    checkTaskToken,
    TaskAnswerInputError,
    tokenFromText,
    type TaskAnswerRefusal,
    type TaskAnswerRequest,
} from "./task-token-answer";

/** The exit codes of `npm run callback` (docs/callback-function.md, "Returning a token by hand"). */
export const CALLBACK_EXIT = {
    /** The answer was sent and taken. */
    sent: 0,
    /** Step Functions refused the call (access, credentials, throttling) or could not be reached in time. */
    refused: 1,
    /** A bad flag or input: the command line, the token's or the output's form, no region; also a token or output Step Functions refuses. */
    input: 2,
    /** The task is gone: it timed out, was already answered, or its execution ended (`TaskTimedOut`, `TaskDoesNotExist`). */
    gone: 3,
} as const;

/** The exit code for an answer Step Functions did not take. */
export function exitCodeOfRefusal(reason: TaskAnswerRefusal): number {
    switch (reason) {
        case "task-gone":
            return CALLBACK_EXIT.gone;
        case "invalid-token":
        case "invalid-output":
        case "invalid-request":
        case "no-region":
            return CALLBACK_EXIT.input;
        default:
            return CALLBACK_EXIT.refused;
    }
}

/** What `--output-file` holds, as the empty file's message and a terminal's notice say it. */
export const TASK_OUTPUT_HOLDS = "the task output as JSON (e.g. {} or null)";

/** Where a value comes from: the command line, or a file (`-`: standard input). */
export type ValueSource = { from: "argument"; value: string } | { from: "file"; path: string };

/** What to send, before the files it names are read. */
export type CallbackAnswerOption =
    { action: "success"; output: ValueSource } | { action: "failure"; error: string; cause?: string } | { action: "heartbeat" };

export interface CallbackOptions {
    help: boolean;
    token: ValueSource;
    answer: CallbackAnswerOption;
    /** Give up after this long: reading the input and waiting for Step Functions together. */
    timeoutSeconds: number;
    json: boolean;
}

export const DEFAULT_CALLBACK_TIMEOUT_SECONDS = 20;
const MAX_CALLBACK_TIMEOUT_SECONDS = 300;

export const CALLBACK_USAGE = `Usage: npm run --silent callback -- (--token-file PATH | --token TOKEN) ANSWER [options]

Returns a task token to Step Functions by hand, as the external process of a hand-off does: the
waiting task succeeds with an output, fails with an error, or keeps waiting after a heartbeat.
Region, credentials and endpoint come from the environment, as the AWS SDK resolves them:
AWS_REGION (the state machine's region), AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_ENDPOINT_URL_SFN. The token is never printed: only its fingerprint (the first 16 hex digits
of its SHA-256, as the callback function logs it).

The token, exactly one of:
  --token-file PATH    read it from PATH; - reads standard input (one trailing line break is dropped)
  --token TOKEN        give it on the command line (it then lands in your shell history and in ps)

The answer, exactly one of:
  --output JSON        SendTaskSuccess: the task succeeds with this output (JSON, at most ${LIMITS.outputBytes} bytes)
  --output-file PATH   SendTaskSuccess with the JSON in PATH; - reads standard input
  --error NAME         SendTaskFailure: the task fails with this error name (at most ${LIMITS.error} characters) ...
  --cause TEXT         ... and this cause (at most ${LIMITS.cause} characters; optional)
  --heartbeat          SendTaskHeartbeat: the task keeps waiting, its HeartbeatSeconds start again

Options:
  --timeout-seconds N  give up after N seconds, reading the input included (default: ${DEFAULT_CALLBACK_TIMEOUT_SECONDS})
  --json               print the outcome as one JSON line on stdout
  -h, --help           print this help

Exit codes:
  0  sent: Step Functions took the answer
  1  refused or unreachable: access denied, no or bad credentials, throttled, no answer in time
  2  a bad flag or input, no region set, or a token or output that Step Functions refuses
  3  the task is gone: it timed out, was already answered, or its execution ended

Examples:
  npm run --silent callback -- --token-file token.txt --output '{"approved": true}'
  pass show approvals/42 | npm run --silent callback -- --token-file - --error Rejected --cause 'over budget'`;

/** How a value's source is named in messages. */
export function describeSource(flag: string, source: ValueSource): string {
    return source.from === "argument" ? flag : describeInputFile(`${flag}-file`, source.path);
}

/** parseArgs' message, with no argument in it that might be a token (a positional one, a value after `=`). */
function safeParseError(error: unknown, args: string[]): string {
    let message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
        return "unexpected argument (not shown: it may be a token); every value goes after its flag, e.g. --token-file PATH";
    }
    for (const arg of args) {
        const value = arg.startsWith("--") ? arg.slice(arg.indexOf("=") + 1 || arg.length) : arg;
        if (value.length >= 6 && message.includes(value)) message = message.split(value).join("[not shown]");
    }
    // Some messages run over lines (the hint for a value that starts with a dash); printable would show "\n".
    return printable(message.replace(/\s*\n\s*/g, " "));
}

const OPTIONS = {
    help: { type: "boolean", short: "h" },
    token: { type: "string", multiple: true },
    "token-file": { type: "string", multiple: true },
    output: { type: "string", multiple: true },
    "output-file": { type: "string", multiple: true },
    error: { type: "string", multiple: true },
    cause: { type: "string", multiple: true },
    heartbeat: { type: "boolean" },
    "timeout-seconds": { type: "string", multiple: true },
    json: { type: "boolean" },
} as const;

/** A {@link TaskAnswerInputError} of the core as a usage error. */
function asCliError<T>(check: () => T): T {
    try {
        return check();
    } catch (error) {
        if (error instanceof TaskAnswerInputError) throw new CliError(error.message);
        throw error;
    }
}

/** Parses the arguments of `npm run callback`; values given inline are checked at once, files only named. */
export function parseCallbackArgs(args: string[]): CallbackOptions {
    let values: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string[] : boolean };
    try {
        values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
    } catch (error) {
        throw new CliError(safeParseError(error, args));
    }
    const once = (flag: Exclude<keyof typeof OPTIONS, "help" | "heartbeat" | "json">): string | undefined => {
        const given = values[flag] as string[] | undefined;
        if (given !== undefined && given.length > 1) throw new CliError(`--${flag} is given ${given.length} times; give it once`);
        return given?.[0];
    };
    const token = once("token");
    const tokenFile = once("token-file");
    const output = once("output");
    const outputFile = once("output-file");
    const error = once("error");
    const cause = once("cause");
    const timeout = once("timeout-seconds");
    const help = values.help ?? false;

    let timeoutSeconds = DEFAULT_CALLBACK_TIMEOUT_SECONDS;
    if (timeout !== undefined) {
        timeoutSeconds = /^\d+$/.test(timeout) ? Number(timeout) : NaN;
        if (!(timeoutSeconds >= 1 && timeoutSeconds <= MAX_CALLBACK_TIMEOUT_SECONDS))
            throw new CliError(
                `--timeout-seconds must be a whole number from 1 to ${MAX_CALLBACK_TIMEOUT_SECONDS}; got ${mayBeAToken(timeout) ? shownValue(timeout) : printable(JSON.stringify(timeout))}`,
            );
    }
    const json = values.json ?? false;
    if (help) return { help, token: { from: "argument", value: "" }, answer: { action: "heartbeat" }, timeoutSeconds, json };

    if (token !== undefined && tokenFile !== undefined) throw new CliError("give --token or --token-file, not both");
    if (token === undefined && tokenFile === undefined) {
        throw new CliError("no task token: give --token-file PATH (- for standard input), or --token TOKEN");
    }
    const tokenSource: ValueSource = tokenFile !== undefined ? { from: "file", path: tokenFile } : { from: "argument", value: token! };
    if (tokenSource.from === "file" && tokenSource.path === "")
        throw new CliError("--token-file is empty; give a path, or - for standard input");
    if (tokenSource.from === "argument") asCliError(() => checkTaskToken(tokenSource.value, "--token"));

    const answers = [
        output !== undefined && "--output",
        outputFile !== undefined && "--output-file",
        error !== undefined && "--error",
        values.heartbeat === true && "--heartbeat",
    ].filter((flag): flag is string => flag !== false);
    if (answers.length === 0) {
        throw new CliError("no answer: give --output JSON, --output-file PATH, --error NAME [--cause TEXT], or --heartbeat");
    }
    if (answers.length > 1) throw new CliError(`give one answer, not ${answers.join(" and ")}`);
    if (cause !== undefined && error === undefined) throw new CliError("--cause goes with --error NAME (a failure's name and its cause)");

    let answer: CallbackAnswerOption;
    if (output !== undefined) {
        asCliError(() => checkTaskOutput(output, "--output"));
        answer = { action: "success", output: { from: "argument", value: output } };
    } else if (outputFile !== undefined) {
        if (outputFile === "") throw new CliError("--output-file is empty; give a path, or - for standard input");
        if (outputFile === STDIN_PATH && tokenSource.from === "file" && tokenSource.path === STDIN_PATH) {
            throw new CliError(
                "standard input can be read only once: give the token or the output there, not both (--token-file - and --output-file -)",
            );
        }
        answer = { action: "success", output: { from: "file", path: outputFile } };
    } else if (error !== undefined) {
        if (error === "") throw new CliError("--error is empty; give the error name the state machine should see (e.g. Rejected)");
        asCliError(() => checkTaskFailure({ error, cause }, { error: "--error", cause: "--cause" }));
        answer = { action: "failure", error, ...(cause !== undefined ? { cause } : {}) };
    } else {
        answer = { action: "heartbeat" };
    }
    return { help, token: tokenSource, answer, timeoutSeconds, json };
}

/**
 * The request that the options describe: inline values as they are, files and standard input read
 * (bounded in size: a token's or an output's limit and a little more; and by `deadline`) and
 * checked. Throws {@link CliError} naming the flag and what was wrong.
 */
export async function readCallbackRequest(options: CallbackOptions, deadline: number, sources?: InputSources): Promise<TaskAnswerRequest> {
    const read = (flag: string, source: ValueSource & { from: "file" }, holds: string, maxBytes: number, limit: string) =>
        readInputFile(
            { flag: `${flag}-file`, path: source.path, holds, maxBytes, limit, deadline, timeoutFlag: "--timeout-seconds" },
            sources,
        );

    const { token, answer } = options;
    let taskToken: string;
    if (token.from === "argument") {
        taskToken = token.value;
    } else {
        // A token has at most 2048 characters: up to 4 bytes each as UTF-8.
        const text = await read(
            "--token",
            token,
            "the task token",
            LIMITS.taskToken * 4,
            `a task token has at most ${LIMITS.taskToken} characters`,
        );
        taskToken = asCliError(() => tokenFromText(text, describeSource("--token", token)));
    }
    switch (answer.action) {
        case "success": {
            const { output } = answer;
            const text =
                output.from === "argument"
                    ? output.value
                    : // One trailing line break is dropped, as for the token; a byte order mark is the decoder's.
                      (
                          await read(
                              "--output",
                              output,
                              TASK_OUTPUT_HOLDS,
                              LIMITS.outputBytes,
                              `a task output holds at most ${LIMITS.outputBytes}`,
                          )
                      ).replace(/\r?\n$/, "");
            asCliError(() => checkTaskOutput(text, describeSource("--output", output)));
            return { taskToken, answer: { action: "success", output: text } };
        }
        case "failure":
            return {
                taskToken,
                answer: { action: "failure", error: answer.error, ...(answer.cause !== undefined ? { cause: answer.cause } : {}) },
            };
        case "heartbeat":
            return { taskToken, answer: { action: "heartbeat" } };
    }
}
