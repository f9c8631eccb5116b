/**
 * Timers that hold any delay the stack's config allows. Node's `setTimeout` fires a delay above
 * 2^31 - 1 ms (24.8 days) after 1 ms, and a task may wait up to `MAX_TASK_TIMEOUT_SECONDS` (about a
 * year): a long delay is waited here as a chain of timers of at most {@link MAX_TIMER_MS} each.
 * The task tokens wait with these; so does the `aws-local-stepfunctions` interpreter (its task
 * `TimeoutSeconds`, the execution's `TimeoutSeconds`, Wait states), loaded by
 * {@link loadInterpreter} with these timers in place of Node's.
 */
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import type * as Interpreter from "aws-local-stepfunctions";
import { MAX_TIMER_MS } from "../functions/callback/deadline";

/** A pending long timer; give it to {@link clearLongTimeout} to cancel it. */
export interface LongTimeout {
    /** The link of the chain now waiting. */
    timer?: NodeJS.Timeout;
    cleared: boolean;
}

/**
 * Calls `callback` once `delayMs` have passed, however long that is: in steps of at most `stepMs`
 * (Node's longest timer unless a test chooses shorter steps). A delay that is not a number of at
 * least 1 is 1 ms, as with `setTimeout`.
 */
export function setLongTimeout(callback: () => void, delayMs: number, stepMs: number = MAX_TIMER_MS): LongTimeout {
    const handle: LongTimeout = { cleared: false };
    let remaining = delayMs >= 1 ? delayMs : 1;
    const next = () => {
        const step = Math.min(remaining, stepMs);
        remaining -= step;
        handle.timer = setTimeout(() => {
            if (handle.cleared) return;
            if (remaining > 0) next();
            else callback();
        }, step);
    };
    next();
    return handle;
}

/** Cancels a long timer (nothing happens for `undefined` or one that has fired), as `clearTimeout`. */
export function clearLongTimeout(handle: LongTimeout | undefined): void {
    if (handle === undefined) return;
    handle.cleared = true;
    clearTimeout(handle.timer);
}

/** The parts of Node's CommonJS loader that compile a module from text (long-standing, not in its typings). */
interface CommonJsLoader {
    new (id: string): { filename: string; paths: string[]; exports: unknown; _compile(code: string, filename: string): void };
    _nodeModulePaths(directory: string): string[];
}

let interpreter: typeof Interpreter | undefined;

/**
 * The `aws-local-stepfunctions` interpreter, its own copy, whose `setTimeout` and `clearTimeout`
 * are {@link setLongTimeout} and {@link clearLongTimeout}: it waits a task's or an execution's
 * `TimeoutSeconds` with Node's timers, which would end a task with a timeout over 24.8 days at
 * once. Its module is compiled by Node's CommonJS loader from its file, with the two names declared
 * in the module's scope (it has no other way in: the timeout is not an option of `run`). Use its
 * error classes, not the package's, with `instanceof`.
 */
export function loadInterpreter(): typeof Interpreter {
    if (interpreter !== undefined) return interpreter;
    const filename = require.resolve("aws-local-stepfunctions");
    const source = fs.readFileSync(filename, "utf8");
    // On the first line, so that line numbers in stack traces stay the file's; strict as the file is.
    const prelude = `"use strict"; const { setLongTimeout: setTimeout, clearLongTimeout: clearTimeout } = require(${JSON.stringify(__filename)});`;
    const Loader = Module as unknown as CommonJsLoader;
    const module = new Loader(filename);
    module.filename = filename;
    module.paths = Loader._nodeModulePaths(path.dirname(filename));
    module._compile(prelude + source, filename);
    interpreter = module.exports as typeof Interpreter;
    return interpreter;
}
