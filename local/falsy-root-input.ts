/**
 * Lets the interpreter read an execution input that is false in JavaScript (`0`, `false`, `""`,
 * `null`), as Step Functions does. `aws-local-stepfunctions` evaluates every path with
 * `jsonpath-plus`, whose `JSONPath` returns nothing when its document is falsy (`!json`); the
 * interpreter then fails the state with "Path expression '$' does not point to a value" (States.Runtime),
 * so `"Input.$": "$"` in the wait task's parameters failed every such execution. On a falsy
 * document only the root path `$` finds anything (a number, a boolean, an empty string and null
 * have no fields), so that is the one case answered here; every other call goes to `jsonpath-plus`
 * as before. Imported for its effect, once, by the local run.
 */
import { createRequire } from "node:module";

type JsonPathFunction = ((options: unknown, ...rest: unknown[]) => unknown) & { prototype: object };

/** The `jsonpath-plus` the interpreter loads (resolved from the interpreter's own location). */
const jsonPathModule = createRequire(require.resolve("aws-local-stepfunctions"))("jsonpath-plus") as { JSONPath: JsonPathFunction };

/** Whether `JSONPath` is asked for the root of a document that `jsonpath-plus` would not look into. */
export function isFalsyRootQuery(options: unknown): options is { json: unknown; wrap?: boolean } {
    if (typeof options !== "object" || options === null) return false;
    const { path, json } = options as { path?: unknown; json?: unknown };
    return path === "$" && (json === 0 || json === false || json === "" || json === null);
}

const original = jsonPathModule.JSONPath;
const patched = Object.assign(function JSONPath(this: unknown, options: unknown, ...rest: unknown[]): unknown {
    if (isFalsyRootQuery(options)) return options.wrap === false ? options.json : [options.json];
    return original.call(this, options, ...rest);
}, original);
patched.prototype = original.prototype;
jsonPathModule.JSONPath = patched;
