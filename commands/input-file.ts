/**
 * The one reader of the files and standard input that users hand the commands: `--input-file` of
 * `npm start` and `npm run execution`, `--token-file` and `--output-file` of `npm run callback`.
 * Each is read bounded in size (its content's limit and a few bytes more, never further) and in
 * time (a pipe that never ends, a named pipe nobody writes to), without blocking a thread, checked
 * to be UTF-8 and not empty; every refusal is a {@link CliError} (exit code 2) that names the flag.
 */
import type { Readable } from "node:stream";
import * as fs from "node:fs";
import * as net from "node:net";
import * as tty from "node:tty";
import { CliError, formatSeconds, fromInvocationDir } from "./cli";
import { printable } from "../view/execution-view";

/** The path that stands for standard input. */
export const STDIN_PATH = "-";

/**
 * What a file may hold beyond its content's limit: a UTF-8 byte order mark (3 bytes) and a CRLF
 * line break (2), which editors and `echo` add and the reader drops or the content's check allows.
 */
export const FRAMING_BYTES = 5;

/**
 * A value that may be a task token given where a path or a number goes (`--token-file TOKEN`):
 * long, and only of a token's characters (base64's, with no dot). Messages then give its length,
 * not the value, so that a secret in the wrong place is not echoed.
 */
export function mayBeAToken(value: string): boolean {
    return value.length >= 64 && /^[A-Za-z0-9+/=_-]+$/.test(value);
}

/** A value of the command line as a message shows it: escaped for the terminal, or only its length if it may be a token. */
export function shownValue(value: string): string {
    return mayBeAToken(value) ? `(${value.length} characters, not shown: is it a token?)` : printable(value);
}

/** How messages name a file given with `flag`: `--input-file order.json`, or `--input-file - (standard input)`. */
export function describeInputFile(flag: string, file: string): string {
    return file === STDIN_PATH ? `${flag} ${STDIN_PATH} (standard input)` : `${flag} ${shownValue(file)}`;
}

/** Where {@link readInputFile} reads from: the process's standard input and the disk by default; tests give their own. */
export interface InputSources {
    stdin: Readable & { isTTY?: boolean };
    /** Opens the file at a path as the user gave it (relative to where they ran npm). */
    openFile(path: string): Readable;
    /** Told before standard input is read from a terminal. */
    notice(message: string): void;
}

/**
 * Why a Unix domain socket is refused: opening one as a file fails with ENXIO, which names nothing
 * the user knows, and reading it would need a connection, which no one would expect of a path.
 */
export const NOT_READABLE_SOCKET = "is a socket, which cannot be read as a file; give a file, a named pipe, or - for standard input";

/**
 * A stream of the file at `path` that never holds a thread: a FIFO (a named pipe, or the
 * `/dev/fd/N` of a shell's process substitution, `--token-file <(pass show …)`) opened as a file
 * would block one of Node's threads until a writer comes, past any deadline and even past
 * `process.exit`; it is opened without blocking and read as a pipe instead. A terminal is read as
 * one. Throws a {@link CliError} for a socket ({@link NOT_READABLE_SOCKET}), and what opening
 * throws (ENOENT, EACCES, …) otherwise.
 */
export function openInputFile(path: string): Readable {
    const stat = fs.statSync(path);
    if (stat.isSocket()) throw new CliError(NOT_READABLE_SOCKET);
    if (stat.isFIFO()) {
        const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        return new net.Socket({ fd, readable: true, writable: false });
    }
    if (stat.isCharacterDevice()) {
        const fd = fs.openSync(path, "r");
        return tty.isatty(fd) ? new tty.ReadStream(fd) : fs.createReadStream("", { fd });
    }
    return fs.createReadStream(path);
}

/** The process's standard input, files from the folder npm was run in, notices on stderr. */
export function defaultInputSources(): InputSources {
    return {
        stdin: process.stdin,
        openFile: (file) => openInputFile(fromInvocationDir(file)),
        notice: (message) => console.error(message),
    };
}

/**
 * Reads at most `maxBytes` from `stream` before `deadline` (ms since the epoch). Refuses, as a
 * {@link CliError} that starts with `what`, a stream that holds more (saying `limit`, why that is
 * the bound), that does not end in time (saying `timeoutFlag`, which gives it longer), or that
 * cannot be read. A refused stream is destroyed: a file's descriptor closes, a pipe's writer gets
 * EPIPE, and nothing is left holding the process.
 */
export function readBounded(
    stream: Readable,
    what: string,
    limits: { maxBytes: number; limit: string; deadline: number; timeoutFlag: string },
): Promise<Buffer> {
    const { maxBytes, limit, deadline, timeoutFlag } = limits;
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const finish = (error: CliError | undefined, data?: Buffer) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            stream.off("data", onData).off("end", onEnd).off("error", onError);
            stream.on("error", () => undefined);
            if (error !== undefined) {
                stream.destroy();
                reject(error);
            } else resolve(data!);
        };
        const onData = (chunk: Buffer | string) => {
            const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
            size += buffer.length;
            if (size > maxBytes) return finish(new CliError(`${what} holds more than ${maxBytes} bytes; ${limit}`));
            chunks.push(buffer);
        };
        const onEnd = () => finish(undefined, Buffer.concat(chunks));
        const onError = (error: NodeJS.ErrnoException) =>
            finish(new CliError(`cannot read ${what}: ${error.code ?? printable(error.message)}`));
        const wait = deadline - Date.now();
        const timer = setTimeout(
            () =>
                finish(
                    new CliError(
                        `${what} did not end within ${formatSeconds(wait)} (nothing written to it, or no end of input?); ${timeoutFlag} N gives it longer`,
                    ),
                ),
            Math.max(0, wait),
        );
        stream.on("data", onData).on("end", onEnd).on("error", onError);
    });
}

/** What to read, and how it is bounded and named. */
export interface InputFileRequest {
    /** The flag that names the file (`--input-file`); every message starts with it. */
    flag: string;
    /** The path given: relative to the folder npm was run in; {@link STDIN_PATH} for standard input. */
    path: string;
    /** What the file should hold, for the terminal's notice and the empty file's message: `the task token`. */
    holds: string;
    /** The most bytes (UTF-8) the content may take; the reader reads {@link FRAMING_BYTES} more, never further. */
    maxBytes: number;
    /** Why that is the bound, for the message of a larger file: `a task token has at most 2048 characters`. */
    limit: string;
    /** When to give up (ms since the epoch)... */
    deadline: number;
    /** ... and the flag that moves it, named in the messages. */
    timeoutFlag: string;
}

/**
 * The text of the file or standard input `request` names: read bounded in size and time
 * ({@link readBounded}), decoded as UTF-8 (a byte order mark dropped), and not empty (nothing but
 * whitespace: nothing piped in, an empty file). A terminal is told what to type and by when.
 * Throws a {@link CliError} naming the flag and what was wrong.
 */
export async function readInputFile(request: InputFileRequest, sources: InputSources = defaultInputSources()): Promise<string> {
    const { flag, path, holds, deadline, timeoutFlag } = request;
    const what = describeInputFile(flag, path);
    let stream: Readable;
    if (path === STDIN_PATH) {
        if (sources.stdin.isTTY === true)
            sources.notice(
                `Reading ${holds} from standard input: paste it, then press Ctrl-D (within ${formatSeconds(deadline - Date.now())}; ${timeoutFlag} N for more).`,
            );
        stream = sources.stdin;
    } else {
        try {
            stream = sources.openFile(path);
        } catch (error) {
            if (error instanceof CliError) throw new CliError(`${what} ${error.message}`);
            throw new CliError(`cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? printable((error as Error).message)}`);
        }
    }
    const bytes = await readBounded(stream, what, { ...request, maxBytes: request.maxBytes + FRAMING_BYTES });
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        throw new CliError(`${what} is not UTF-8 text (binary data?)`);
    }
    // A parser would say "Unexpected end of JSON input"; the user needs to know nothing arrived.
    if (text.trim() === "") throw new CliError(`${what} ${emptyInput(holds)}`);
    return text;
}

/** The end of the message for a file or standard input that holds nothing but whitespace. */
export function emptyInput(holds: string): string {
    return `is empty; it should hold ${holds}`;
}
