/**
 * The policy pack (`policy/`) and the example consumer (`examples/consumer/`) are npm workspaces of
 * the root: one `npm ci` at the root installs all three, from one lockfile, with one copy of what
 * they share. Each stays a package of its own, as Pulumi needs it: the pack is started from its own
 * folder and `pulumi policy publish` packs that folder alone (`npm pack`), so it may import nothing
 * from outside it; the consumer is a project run from its folder.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { PROJECT_ROOT } from "../infra/function-artifact";
import { stateMachinePolicy } from "../infra/iam-documents";
import { policies } from "../policy/pack";
import { DEFAULT_RULE_CONFIG } from "../policy/rules";

interface PackageJson {
    name: string;
    workspaces?: string[];
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
}

interface LockEntry {
    version?: string;
    resolved?: string;
    link?: boolean;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as T;
const root = readJson<PackageJson>("package.json");
const lock = readJson<{ packages: Record<string, LockEntry> }>("package-lock.json");
const WORKSPACES = root.workspaces ?? [];
const POLICY_PACK = "policy";
const CONSUMER = path.join("examples", "consumer");

/** Folders below the project root (relative, sorted) holding `file`, outside installed and built trees. */
function foldersHolding(file: string): string[] {
    const found: string[] = [];
    const visit = (relative: string, depth: number) => {
        // Bounded: the project's own tree is a few levels deep.
        if (depth > 6) return;
        for (const entry of fs.readdirSync(path.join(PROJECT_ROOT, relative), { withFileTypes: true })) {
            if (entry.isFile() && entry.name === file) found.push(relative);
            else if (entry.isDirectory() && entry.name !== "node_modules" && !entry.name.startsWith("."))
                visit(path.join(relative, entry.name), depth + 1);
        }
    };
    visit("", 0);
    return found.sort();
}

/**
 * The modules a TypeScript file loads: `import … from`, `export … from`, `import x = require(…)`
 * and calls of `require` itself (`config.require("key")` is not one).
 */
function importedModules(source: string, fileName = "file.ts"): string[] {
    const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        if (
            (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
            node.moduleSpecifier &&
            ts.isStringLiteral(node.moduleSpecifier)
        )
            found.push(node.moduleSpecifier.text);
        else if (ts.isExternalModuleReference(node) && ts.isStringLiteral(node.expression)) found.push(node.expression.text);
        else if (
            ts.isCallExpression(node) &&
            ts.isIdentifier(node.expression) &&
            node.expression.text === "require" &&
            node.arguments.length === 1 &&
            ts.isStringLiteralLike(node.arguments[0])
        )
            found.push(node.arguments[0].text);
        ts.forEachChild(node, visit);
    };
    visit(file);
    return found;
}

/** The npm package a bare module specifier names (`@pulumi/policy/proxy` → `@pulumi/policy`). */
const packageOf = (specifier: string) =>
    specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/");

/**
 * What a package's TypeScript files load that the package cannot give them: a relative import that
 * leaves its folder, or a package its package.json does not declare as a dependency (at run time
 * the package gets only its `dependencies`). Node.js built-ins need no declaration.
 */
function importsOutside(folder: string): string[] {
    const manifest = readJson<PackageJson>(path.join(folder, "package.json"));
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const base = path.join(PROJECT_ROOT, folder);
    const problems: string[] = [];
    for (const name of fs.readdirSync(base).filter((f) => f.endsWith(".ts"))) {
        for (const specifier of importedModules(fs.readFileSync(path.join(base, name), "utf8"), name)) {
            if (specifier.startsWith(".")) {
                const target = path.resolve(base, specifier);
                if (path.relative(base, target).startsWith(".."))
                    problems.push(`${folder}/${name} imports ${specifier}, outside ${folder}/`);
            } else if (!specifier.startsWith("node:") && !declared.has(packageOf(specifier))) {
                problems.push(`${folder}/${name} imports ${specifier}, not a dependency in ${folder}/package.json`);
            }
        }
    }
    return problems;
}

describe("npm workspaces: the policy pack and the example consumer install with the root", () => {
    it("every package of the project (a folder with a package.json) is a workspace of the root", () => {
        const packages = foldersHolding("package.json").filter((folder) => folder !== "");
        assert.deepEqual([...WORKSPACES].map((w) => path.normalize(w)).sort(), packages);
        assert.ok(packages.includes(POLICY_PACK) && packages.includes(CONSUMER), JSON.stringify(packages));
    });

    it("has one lockfile, the root's, linking each workspace", () => {
        assert.deepEqual(foldersHolding("package-lock.json"), [""]);
        for (const workspace of WORKSPACES) {
            const { name } = readJson<PackageJson>(path.join(workspace, "package.json"));
            assert.deepEqual(lock.packages[`node_modules/${name}`], { resolved: workspace, link: true }, workspace);
        }
    });

    it("declares a package shared by the root and a workspace at one version, installed once", () => {
        const declared = new Map<string, Map<string, string>>();
        for (const folder of ["", ...WORKSPACES]) {
            const manifest = readJson<PackageJson>(path.join(folder, "package.json"));
            for (const [name, version] of Object.entries({ ...manifest.devDependencies, ...manifest.dependencies })) {
                declared.set(name, (declared.get(name) ?? new Map<string, string>()).set(folder || "root", version));
            }
        }
        const shared = [...declared].filter(([, by]) => by.size > 1);
        assert.ok(
            shared.some(([name]) => name === "@pulumi/pulumi"),
            "the root and its workspaces share @pulumi/pulumi",
        );
        for (const [name, by] of shared) {
            assert.equal(new Set(by.values()).size, 1, `${name}: ${JSON.stringify(Object.fromEntries(by))}`);
            assert.equal(lock.packages[`node_modules/${name}`]?.version, [...by.values()][0], name);
        }
        // Nothing installed inside a workspace: a second copy there would be a second version.
        const nested = Object.keys(lock.packages).filter((where) => WORKSPACES.some((w) => where.startsWith(`${w}/node_modules/`)));
        assert.deepEqual(nested, []);
    });

    it("the policy pack and the consumer load only their own files and their declared dependencies (`npm pack` of the folder is all `pulumi policy publish` uploads)", () => {
        assert.deepEqual(importsOutside(POLICY_PACK), []);
        assert.deepEqual(importsOutside(CONSUMER), []);
    });

    it("finds what leaves a package: a relative import out of its folder, an undeclared package, a require call", () => {
        assert.deepEqual(
            importedModules(
                'import { a } from "../infra/x";\nexport * from "./y";\nimport z = require("z");\nconst p = require("@scope/pkg/sub");\nconfig.require("key");',
            ),
            ["../infra/x", "./y", "z", "@scope/pkg/sub"],
        );
        assert.equal(packageOf("@scope/pkg/sub"), "@scope/pkg");
        assert.equal(packageOf("fflate/lib"), "fflate");
    });

    it("the policy pack starts as Pulumi starts it (run-policy-pack resolved from the pack's folder) and reports its policies", async function () {
        this.timeout(60_000);
        const folder = path.join(PROJECT_ROOT, POLICY_PACK);
        // What Pulumi's `pulumi-analyzer-policy` does: resolve @pulumi/pulumi/cmd/run-policy-pack from
        // the pack's folder (a workspace: found in the root's node_modules) and run it there.
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [folder] });
        // The Analyzer client of that same @pulumi/pulumi, and its gRPC library.
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- modules of the runner's own @pulumi/pulumi, resolved at run time
        const fromRunner = (id: string): unknown => require(require.resolve(id, { paths: [path.dirname(runner)] }));
        const grpc = fromRunner("@grpc/grpc-js") as { credentials: { createInsecure(): unknown } };
        const { AnalyzerClient } = fromRunner("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
            AnalyzerClient: new (
                address: string,
                credentials: unknown,
            ) => {
                getAnalyzerInfo(
                    request: unknown,
                    callback: (error: Error | null, info: { getPoliciesList(): { getName(): string }[] }) => void,
                ): void;
                close(): void;
            };
        };
        const { Empty } = fromRunner("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };

        // The engine address is never called for the pack's metadata.
        const pack = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: folder, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        pack.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        try {
            const port = await new Promise<string>((resolve, reject) => {
                pack.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
                pack.once("exit", (code) => reject(new Error(`the pack exited (${code}) before serving: ${stderr}`)));
            });
            assert.match(port, /^\d+$/);
            const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            const names = await new Promise<string[]>((resolve, reject) =>
                client.getAnalyzerInfo(new Empty(), (error, info) =>
                    error ? reject(error) : resolve(info.getPoliciesList().map((p) => p.getName())),
                ),
            );
            client.close();
            assert.deepEqual(names.sort(), policies.map((p) => p.name).sort());
        } finally {
            pack.kill();
        }
    });

    it('what the pack and the stack share, stated once: the pack exempts from "no wildcard resources" exactly what the stack\'s roles are granted on "*"', () => {
        const machine = stateMachinePolicy({
            queueArn: "q",
            topicArn: "t",
            topicKeyArn: "k",
            region: "eu-west-1",
            dnsSuffix: "amazonaws.com",
        });
        const onAnyResource = machine.Statement.filter((s) => s.Effect === "Allow" && s.Resource?.includes("*")).flatMap((s) => s.Action);
        assert.deepEqual([...DEFAULT_RULE_CONFIG.actionsWithoutResource].sort(), onAnyResource.sort());
    });
});
