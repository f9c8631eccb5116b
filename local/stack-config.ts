/**
 * Reads a stack's settings from its `Pulumi.<stack>.yaml` without the Pulumi CLI, the way Pulumi
 * hands them to the program (every value a string: a scalar as the text written, objects as
 * JSON), validates them with the same code as the stack (`infra/config.ts`, by the keys' declaration
 * in `infra/config-keys.ts`: a key the file does not set takes its declared default, as in the
 * stack) and gives the warnings the program prints at `pulumi preview` (`settingsWarnings`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isAlias, isCollection, isScalar, LineCounter, parse, parseDocument, visit, type Document } from "yaml";
import { CONFIG_KEYS, parseSettings, settingsWarnings, type CallbackPatternSettings } from "../infra/config";
import { PROJECT_ROOT } from "../infra/function-artifact";

/** The stack file cannot be read or holds what the local run cannot use. */
export class StackConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackConfigError";
    }
}

/** The project's name from `Pulumi.yaml`: the namespace of its config keys. */
export function projectName(root: string = PROJECT_ROOT): string {
    const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name?: unknown };
    if (typeof project.name !== "string") throw new StackConfigError("Pulumi.yaml has no project name");
    return project.name;
}

export interface StackConfig {
    /** The stack file read. */
    file: string;
    /** `aws:region`, when set. */
    region?: string;
    /** This project's keys, without the namespace, as Pulumi would deliver them. */
    raw: Record<string, string>;
}

/**
 * The config namespaces besides the project's that Pulumi itself reads (`pulumi:`) and the
 * providers the project depends on (`@pulumi/aws` reads `aws:`); from `package.json`.
 */
export function knownNamespaces(root: string = PROJECT_ROOT): string[] {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const providers = Object.keys(manifest.dependencies ?? {})
        .map((name) => /^@pulumi\/([\w-]+)$/.exec(name)?.[1])
        .filter((name): name is string => name !== undefined && name !== "pulumi" && name !== "policy");
    return ["pulumi", ...providers];
}

/**
 * A config value as Pulumi hands it to the program: a scalar as the text written (`3e2`, `0x12c`,
 * `True` stay text: Pulumi keeps config values as strings, where a YAML reader would make numbers
 * and booleans of them), a quoted or block scalar as its string, a map or a list as JSON. Pulumi's
 * YAML reader (Go's yaml.v3) resolves an alias to what its anchor holds, decodes a `!!binary`
 * scalar into the string of its bytes and leaves a null (`key:`, `null`, `~`) an empty string.
 */
export function configValueText(node: unknown, document: Document): string {
    const target = isAlias(node) ? node.resolve(document) : node;
    if (isScalar(target)) {
        if (target.value === null || target.value === undefined) return "";
        if (typeof target.value === "string") return target.value;
        if (target.value instanceof Uint8Array) return Buffer.from(target.value).toString("utf8");
        return target.source ?? String(target.value);
    }
    if (isCollection(target)) return JSON.stringify(target.toJS(document));
    return "";
}

/**
 * Whether a YAML config value is or holds an encrypted value, by Pulumi's rule: a map whose only
 * key is `secure`, with a string (a map with other keys besides `secure` is a plain map; `--secret
 * --path` leaves an encrypted value inside a map or a list).
 */
function holdsSecureValue(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(holdsSecureValue);
    if (typeof value !== "object" || value === null) return false;
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === "secure" && typeof entries[0][1] === "string") return true;
    return entries.some(([, inner]) => holdsSecureValue(inner));
}

/**
 * A stack file's key as Pulumi parses it: `NAMESPACE:NAME`, or the older `NAMESPACE:config:NAME`
 * for the same; `undefined` when it has no namespace (Pulumi refuses such a key).
 */
export function parseConfigKey(key: string): { namespace: string; name: string } | undefined {
    const separator = key.indexOf(":");
    if (separator < 0) return undefined;
    const older = /^([^:]+):config:([^:]+)$/.exec(key);
    if (older !== null) return { namespace: older[1], name: older[2] };
    return { namespace: key.slice(0, separator), name: key.slice(separator + 1) };
}

/**
 * The first key written twice in one map of `document`, with its line (Pulumi's YAML reader
 * refuses such a file: "mapping key already defined"). One pass with a set per map: the parser's
 * own check compares each key with every other, which takes minutes on a file of 100,000 keys.
 */
export function duplicateKey(document: Document, lines: LineCounter): { key: string; line: number } | undefined {
    let found: { key: string; line: number } | undefined;
    visit(document, {
        Map(_, map) {
            const seen = new Set<string>();
            for (const { key } of map.items) {
                const text = isScalar(key) ? String(key.value) : String(key);
                if (seen.has(text)) {
                    const offset = isScalar(key) || isCollection(key) ? (key.range?.[0] ?? 0) : 0;
                    found = { key: text, line: lines.linePos(offset).line };
                    return visit.BREAK;
                }
                seen.add(text);
            }
            return undefined;
        },
    });
    return found;
}

/**
 * Reads `file` and returns the values of `namespace`'s keys as Pulumi would deliver them. A key of
 * any other namespace than `namespace` and `others` (Pulumi's and the providers') is refused:
 * nothing would read it, and it is most likely the project's name misspelled.
 */
export function readStackConfig(file: string, namespace: string, others: readonly string[] = knownNamespaces()): StackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new StackConfigError(`cannot read the stack configuration ${file}: ${(error as Error).message}`);
    }
    // yaml.v3, which Pulumi reads the file with, takes `<<` merge keys as YAML 1.1 has them.
    const lines = new LineCounter();
    const document = parseDocument(text, { merge: true, uniqueKeys: false, lineCounter: lines });
    if (document.errors.length > 0) throw new StackConfigError(`${file} is not valid YAML: ${document.errors[0].message}`);
    const duplicate = duplicateKey(document, lines);
    if (duplicate !== undefined) {
        throw new StackConfigError(`${file}: one map has the key ${JSON.stringify(duplicate.key)} twice (again on line ${duplicate.line})`);
    }
    let root: unknown;
    try {
        root = document.toJS();
    } catch (error) {
        // An alias without its anchor, or one that would expand beyond reason (an "alias bomb").
        throw new StackConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
    }
    if (root !== null && root !== undefined && (typeof root !== "object" || Array.isArray(root))) {
        throw new StackConfigError(`${file} must be a map with a "config" key`);
    }
    const config = document.get("config", true) ?? null;
    const values = (root as { config?: unknown } | null)?.config ?? {};
    if (typeof values !== "object" || values === null || Array.isArray(values)) {
        throw new StackConfigError(`${file}: "config" must be a map of keys to values`);
    }
    const nodes = new Map<string, unknown>();
    if (config !== null && typeof config === "object" && "items" in config) {
        for (const pair of (config as { items: { key: unknown; value: unknown }[] }).items) {
            nodes.set(String(isScalar(pair.key) ? pair.key.value : pair.key), pair.value);
        }
    }
    // Entries, made an object at the end as index.ts makes it: an assignment raw[name] = … would drop
    // a key named __proto__ (it sets the prototype), which the stack refuses as no setting.
    const entries: [string, string][] = [];
    for (const [key, value] of Object.entries(values)) {
        const parsed = parseConfigKey(key);
        if (parsed === undefined) {
            const hint = key === namespace ? `${namespace}:${CONFIG_KEYS[0]}, say` : `did you mean ${namespace}:${key}?`;
            throw new StackConfigError(`${file}: ${key} has no namespace: keys are written NAMESPACE:NAME (${hint})`);
        }
        const { namespace: keyNamespace, name } = parsed;
        if (keyNamespace !== namespace) {
            if (others.includes(keyNamespace)) continue;
            throw new StackConfigError(
                `${file}: ${key}: ${JSON.stringify(keyNamespace)} is not this project's namespace (${namespace}), nor one that Pulumi or the project's providers read (${others.join(", ")}); did you mean ${namespace}:${name}?`,
            );
        }
        if (holdsSecureValue(value)) {
            throw new StackConfigError(
                `${file}: ${key} is a secret or holds one; the local run cannot decrypt it (set a plain value, or run against a deployed stack)`,
            );
        }
        entries.push([name, configValueText(nodes.get(key), document)]);
    }
    const raw: Record<string, string> = Object.fromEntries(entries);
    const region = Object.entries(values).find(([key]) => {
        const parsed = parseConfigKey(key);
        return parsed?.namespace === "aws" && parsed.name === "region";
    })?.[1];
    return { file, raw, ...(typeof region === "string" ? { region } : {}) };
}

/** The validated settings of `stack` (its `Pulumi.<stack>.yaml` in the project root). */
export function loadStackSettings(
    stack: string,
    root: string = PROJECT_ROOT,
): { settings: CallbackPatternSettings; config: StackConfig; warnings: string[] } {
    const namespace = projectName(root);
    const config = readStackConfig(path.join(root, `Pulumi.${stack}.yaml`), namespace);
    const settings = parseSettings(namespace, config.raw);
    // The warnings `pulumi preview` prints (index.ts), from the same function; no value is a secret here.
    return { settings, config, warnings: settingsWarnings(namespace, settings) };
}
