/**
 * Reads a stack's settings from its `Pulumi.<stack>.yaml` without the Pulumi CLI, the way Pulumi
 * hands them to the program (every value a string, objects as JSON), and validates them with the
 * same code as the stack (`infra/config.ts`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseSettings, type CallbackPatternSettings } from "../infra/config";
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

/** Whether a YAML config value is or holds an encrypted value (`{secure: …}`), as `--secret --path` leaves one inside a map. */
function holdsSecureValue(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(holdsSecureValue);
    if (typeof value !== "object" || value === null) return false;
    return "secure" in value || Object.values(value).some(holdsSecureValue);
}

/** Reads `file` and returns the values of `namespace`'s keys as Pulumi would deliver them. */
export function readStackConfig(file: string, namespace: string): StackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new StackConfigError(`cannot read the stack configuration ${file}: ${(error as Error).message}`);
    }
    let document: unknown;
    try {
        document = parse(text);
    } catch (error) {
        throw new StackConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
    }
    if (document !== null && document !== undefined && (typeof document !== "object" || Array.isArray(document))) {
        throw new StackConfigError(`${file} must be a map with a "config" key`);
    }
    const config = (document as { config?: unknown } | null)?.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new StackConfigError(`${file}: "config" must be a map of keys to values`);
    }
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        if (!key.startsWith(`${namespace}:`)) continue;
        const name = key.slice(namespace.length + 1);
        if (holdsSecureValue(value)) {
            throw new StackConfigError(
                `${file}: ${key} is a secret or holds one; the local run cannot decrypt it (set a plain value, or run against a deployed stack)`,
            );
        }
        raw[name] = typeof value === "string" ? value : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    }
    const region = (config as Record<string, unknown>)["aws:region"];
    return { file, raw, ...(typeof region === "string" ? { region } : {}) };
}

/** The validated settings of `stack` (its `Pulumi.<stack>.yaml` in the project root). */
export function loadStackSettings(stack: string, root: string = PROJECT_ROOT): { settings: CallbackPatternSettings; config: StackConfig } {
    const namespace = projectName(root);
    const config = readStackConfig(path.join(root, `Pulumi.${stack}.yaml`), namespace);
    return { settings: parseSettings(namespace, config.raw), config };
}
