/**
 * A MockRecorder that also keeps what the mocks' newResource does not see: the URN the engine
 * gave each resource, the aliases it was registered with, and the outputs each component
 * registered (`registerOutputs`).
 */
import * as pulumi from "@pulumi/pulumi";
import { MockRecorder } from "../mocks";

/** An alias as the SDK sends it to an engine that takes alias specs (empty strings: unchanged). */
export interface AliasSpec {
    name: string;
    type: string;
    stack: string;
    project: string;
    parentUrn: string;
    noParent: boolean;
}

/** One registration as the engine received it. */
export interface Registration {
    type: string;
    name: string;
    urn: string;
    parentUrn: string;
    aliases: AliasSpec[];
}

// The parts of the SDK's gRPC messages read here (the SDK exports no types for them).
interface AliasMessage {
    hasSpec(): boolean;
    getUrn(): string;
    getSpec(): {
        getName(): string;
        getType(): string;
        getStack(): string;
        getProject(): string;
        getParenturn(): string;
        getNoparent(): boolean;
    };
}
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getAliasesList(): AliasMessage[];
}
type Callback = (error: unknown, response?: { getUrn(): string }) => void;
interface OutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface Monitor {
    registerResource(req: RegisterRequest, callback: Callback): unknown;
    registerResourceOutputs(req: OutputsRequest, callback: Callback): unknown;
}

function aliasSpec(alias: AliasMessage): AliasSpec {
    if (!alias.hasSpec()) throw new Error(`alias ${alias.getUrn()} is a URN, not a spec`);
    const spec = alias.getSpec();
    return {
        name: spec.getName(),
        type: spec.getType(),
        stack: spec.getStack(),
        project: spec.getProject(),
        parentUrn: spec.getParenturn(),
        noParent: spec.getNoparent(),
    };
}

/** Records registrations (URN, aliases) and registered outputs on top of what MockRecorder records. */
export class RegistrationRecorder extends MockRecorder {
    public readonly registrations: Registration[] = [];
    /** The names of the outputs each component registered, by URN. */
    public readonly registeredOutputs = new Map<string, string[]>();

    public override async install(
        config: Record<string, string> = {},
        stack?: string,
        project?: string,
        secretKeys: string[] = [],
    ): Promise<void> {
        await super.install(config, stack, project, secretKeys);
        const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) =>
            register(req, (error, response) => {
                if (response !== undefined) {
                    this.registrations.push({
                        type: req.getType(),
                        name: req.getName(),
                        urn: response.getUrn(),
                        parentUrn: req.getParent(),
                        aliases: req.getAliasesList().map(aliasSpec),
                    });
                }
                callback(error, response);
            });
        const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
        monitor.registerResourceOutputs = (req, callback) => {
            this.registeredOutputs.set(req.getUrn(), Object.keys(req.getOutputs()?.toJavaScript() ?? {}));
            return registerOutputs(req, callback);
        };
    }

    /** The registration of the one resource with this logical name. */
    public registration(name: string): Registration {
        const found = this.registrations.filter((r) => r.name === name);
        if (found.length !== 1) throw new Error(`expected one registration named ${name}, found ${found.length}`);
        return found[0];
    }
}
