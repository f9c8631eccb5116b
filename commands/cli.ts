/**
 * What the commands share: usage errors ({@link CliError}), the Node.js check, the execution
 * name flag, and {@link runCommand}, which turns every failure into one line on stderr
 * and an exit code, never a stack trace. Each command's own flags are in `<command>-args.ts`.
 */
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A usage error: the message is for the user; the exit code is 2. */
export class CliError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CliError";
    }
}

/** The Node.js major version the project needs (`engines` in package.json). */
export const MINIMUM_NODE_MAJOR = 22;

/**
 * Fails with a clear message on a Node.js older than the project supports. A plain `Error`, not a
 * {@link CliError}: the machine is at fault, not a flag, so {@link runCommand} exits 1 without
 * pointing at `--help`.
 */
export function checkNodeVersion(version: string = process.versions.node): void {
    const major = Number(version.split(".")[0]);
    if (!(major >= MINIMUM_NODE_MAJOR)) {
        throw new Error(
            `Node.js ${MINIMUM_NODE_MAJOR} or later is needed; this is Node.js ${version}. Run the command through npm (\`npm start\`, \`npm run …\`), whose scripts use the Node.js ${MINIMUM_NODE_MAJOR} that \`npm ci\` installs (the \`node\` dev dependency), or use Node.js ${MINIMUM_NODE_MAJOR} (\`nvm use\`).`,
        );
    }
}

/**
 * Milliseconds as messages say them: whole seconds (`20 s`), tenths below one (`0.3 s`). A limit
 * is what is left before a deadline, a few milliseconds less than the user set by the time it is
 * used; rounding says the figure they gave (`0.3 s`, `60 s`), not `0.299 s` or `59.998 s`.
 */
export function formatSeconds(ms: number): string {
    const s = Math.max(0, ms) / 1000;
    return `${s >= 1 ? Math.round(s) : Number(s.toFixed(1))} s`;
}

/** The console's default execution input. */
export const DEFAULT_INPUT = { Comment: "Insert your JSON here" };

/** The characters an execution name may not hold (control characters among them), as Step Functions says. */
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** Step Functions' rules for an execution name: 1 to 80 characters, none of the reserved ones. */
export function checkExecutionName(name: string, flag = "--name"): string {
    if (name.length < 1 || name.length > 80) throw new CliError(`${flag} must be 1 to 80 characters long; got ${name.length}`);
    const bad = FORBIDDEN_IN_NAME.exec(name);
    if (bad)
        throw new CliError(
            `${flag} ${JSON.stringify(name)} contains ${JSON.stringify(bad[0])}; execution names take no whitespace, brackets, wildcards or any of "#%\\^|~\`$&,;:/`,
        );
    return name;
}

/** A fresh execution name, as the console suggests one. */
export function defaultExecutionName(now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
    return `local-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

/** The value of a whole-number flag, checked to lie from `min` to `max`; undefined when not given. */
export function wholeNumber(flag: string, value: string | undefined, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        throw new CliError(`${flag} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`);
    }
    return parsed;
}

/**
 * A path the user gave, resolved from the folder they ran the command in: npm runs scripts in the
 * project's root, and says where it was invoked in `INIT_CWD`, so `cd data && npm start --
 * --input-file order.json` reads `data/order.json`, not the root's. Without npm, the working folder.
 */
export function fromInvocationDir(file: string, env: NodeJS.ProcessEnv = process.env): string {
    return path.resolve(env.INIT_CWD ?? process.cwd(), file);
}

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
    try {
        return parseArgs({ args, options, strict: true, allowPositionals: false });
    } catch (error) {
        // parseArgs' messages name the flag ("Unknown option '--foo'"); keep them, drop the trace.
        throw new CliError((error as Error).message);
    }
}

/** The message for an output that cannot be written (`> /dev/full`, a full disk). */
export function unwritableOutput(code: string): string {
    return `cannot write standard output: ${code}`;
}

/** The streams {@link quietOnClosedPipe} already guards. */
const guarded = new WeakSet<NodeJS.WritableStream>();

/** Set once an output could not be written for another reason than a reader gone away. */
let outputFailed = false;

/**
 * A reader that goes away (`… --json | head -1`, `| true`) ends what the command prints, not the
 * command: without a listener, the EPIPE of the next write is an uncaught error with a stack trace.
 * The command finishes its work and exits with its own code; what it would still print is dropped.
 * Any other failure to write (a full disk) means the run did not deliver: {@link runCommand} exits
 * 1, and the reason goes to stderr (when stderr is not what failed).
 */
export function quietOnClosedPipe(stream: NodeJS.WritableStream): void {
    // Once per stream: a process that runs several commands (the tests, in-process) would otherwise
    // stack a listener per run, and Node warns of a leak past ten.
    if (guarded.has(stream)) return;
    guarded.add(stream);
    stream.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
        if (!outputFailed && stream === process.stdout) process.stderr.write(`error: ${unwritableOutput(error.code ?? error.message)}\n`);
        outputFailed = true;
        process.exitCode = 1;
    });
}

/**
 * The exit code once what was printed has been tried: a write to a file or device fails on the
 * next tick, after the command's own code is known, and must not be overwritten by a 0.
 */
async function afterOutput(code: number): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    return outputFailed && code === 0 ? 1 : code;
}

export interface CommandSpec<T extends { help: boolean }> {
    /** How to run it, for the hint after a usage error (`npm start`). */
    command: string;
    usage: string;
    parse(args: string[]): T;
    run(options: T): Promise<void>;
    /** How to tell a failure of the run that is the user's to fix (exit code 2) from any other (1). */
    isUsageError(error: unknown): boolean;
    /** The message for a failure of the run. */
    describe(error: unknown): string;
    /** An exit code of the command's own for this failure (e.g. 3), instead of 1 or 2; undefined for the usual. */
    exitCode?(error: unknown): number | undefined;
}

/**
 * Runs `spec` with the process's arguments when `commandModule` is the process's main module
 * (`npm run …`), and not when a test loads the module for its spec. Sets the process's exit code
 * and resolves to it; resolves to undefined when the module is not the main one.
 */
export async function runAsMain<T extends { help: boolean }>(
    commandModule: NodeJS.Module,
    spec: CommandSpec<T>,
): Promise<number | undefined> {
    if (require.main !== commandModule) return undefined;
    const code = await runCommand(spec, process.argv.slice(2));
    process.exitCode = code;
    return code;
}

/**
 * Runs a command: checks Node.js (1 when it is too old) and the flags, prints help, runs it, and
 * turns every failure into one line on stderr and an exit code (2: the user's input, 1: anything
 * else, or the command's own from `exitCode`), never a stack trace. Resolves to the exit code.
 */
export async function runCommand<T extends { help: boolean }>(spec: CommandSpec<T>, argv: string[]): Promise<number> {
    quietOnClosedPipe(process.stdout);
    quietOnClosedPipe(process.stderr);
    try {
        checkNodeVersion();
    } catch (error) {
        console.error(`error: ${(error as Error).message}`);
        return 1;
    }
    let options: T;
    try {
        options = spec.parse(argv);
    } catch (error) {
        console.error(`error: ${(error as Error).message}\nRun \`${spec.command} -- --help\` for the options.`);
        return 2;
    }
    if (options.help) {
        console.log(spec.usage);
        return afterOutput(0);
    }
    try {
        await spec.run(options);
        return afterOutput(0);
    } catch (error) {
        console.error(`error: ${spec.describe(error)}`);
        return spec.exitCode?.(error) ?? (error instanceof CliError || spec.isUsageError(error) ? 2 : 1);
    }
}
