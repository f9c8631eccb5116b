import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unzipSync } from "fflate";
import { BUNDLE_CACHE_VARIABLE, buildFunctionArtifact, bundleFunction, deterministicZip, sha256Base64 } from "../infra/function-artifact";
import { withoutBundleCache } from "./support/bundle-cache";
import { buildArtifactElsewhere } from "./support/build-elsewhere";
import { CACHE_ENTRY_LIFE, CACHE_TIME_UNIT_MS, keptTranspileCache } from "./support/transpile-cache";

describe("callback function artifact", () => {
    withoutBundleCache(); // what is proved here is the build itself
    let dir: string;
    /** One fresh build for the tests that need a build, not two builds to compare (each is an esbuild run). */
    let built: ReturnType<typeof buildFunctionArtifact>;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "callback-artifact-"));
        built = buildFunctionArtifact(undefined, path.join(dir, "built", "callback.zip"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is the same archive, byte for byte, when built twice from the same code", () => {
        const first = buildFunctionArtifact(undefined, path.join(dir, "a", "callback.zip"));
        const second = buildFunctionArtifact(undefined, path.join(dir, "b", "callback.zip"));
        assert.equal(first.sha256, second.sha256);
        assert.deepEqual(fs.readFileSync(first.archivePath), fs.readFileSync(second.archivePath));
        assert.equal(first.sha256, sha256Base64(fs.readFileSync(first.archivePath)));
        assert.equal(first.archiveBytes, fs.statSync(first.archivePath).size);
    });

    it("is the same archive when built in another process, with the clock years ahead", () => {
        // The entries no process of this run may expire yet (written within the last few units).
        const now = () => Math.floor(Date.now() / CACHE_TIME_UNIT_MS);
        const young = keptTranspileCache().filter(({ written }) => written > now() - CACHE_ENTRY_LIFE + 1);
        assert.equal(buildArtifactElsewhere(), built.sha256);
        // The process with the shifted clock left the transpile cache the runs keep as it was: it
        // removed no young entry (everything looks old to it), and wrote none dated in its future.
        assert.deepEqual(
            young.filter(({ file }) => !fs.existsSync(file)).map(({ file }) => file),
            [],
        );
        assert.deepEqual(
            keptTranspileCache().filter(({ written }) => written > now()),
            [],
        );
    });

    it("holds one bundled file whose exported handler Lambda can call", () => {
        const artifact = built;
        assert.equal(artifact.handler, "index.handler");
        const files = unzipSync(fs.readFileSync(artifact.archivePath));
        assert.deepEqual(Object.keys(files), ["index.js"]);
        assert.equal(files["index.js"].byteLength, artifact.bundleBytes);
        // Load the bundle alone, from a folder with no node_modules: everything it needs is inside.
        const bundle = path.join(dir, "built", "index.js");
        fs.writeFileSync(bundle, files["index.js"]);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file written by the test
        const loaded = require(bundle) as { handler?: unknown };
        assert.equal(typeof loaded.handler, "function");
    });

    it("changes when the code changes", () => {
        const source = path.join(__dirname, "..", "functions", "callback", "handler.ts");
        const changed = path.join(__dirname, "..", "functions", "callback", ".artifact-test-entry.ts");
        fs.writeFileSync(changed, `${fs.readFileSync(source, "utf8")}\nexport const marker = "changed";\n`);
        try {
            const modified = buildFunctionArtifact(changed, path.join(dir, "e", "callback.zip"));
            assert.notEqual(built.sha256, modified.sha256);
        } finally {
            fs.rmSync(changed, { force: true });
        }
    });

    it("changes when the code changes and its size does not (each archive is its own code's)", () => {
        // Two entries whose bundles are the same size, built one after the other in this process.
        const archiveOf = (letter: string) => {
            const entry = path.join(dir, `same-size-${letter}.ts`);
            fs.writeFileSync(entry, `export const handler = async () => "${letter.repeat(4)}";\n`);
            const artifact = buildFunctionArtifact(entry, path.join(dir, `same-size-${letter}`, "callback.zip"));
            return { artifact, files: unzipSync(fs.readFileSync(artifact.archivePath)) };
        };
        const [a, b] = [archiveOf("a"), archiveOf("b")];
        assert.equal(a.artifact.bundleBytes, b.artifact.bundleBytes, "the test needs bundles of one size");
        assert.notEqual(a.artifact.sha256, b.artifact.sha256);
        assert.match(Buffer.from(b.files["index.js"]).toString("utf8"), /bbbb/);
    });

    it("reuses a test run's bundle only while every file it was built from is unchanged", () => {
        // An entry and a module it imports, in a folder of their own, bundled through a cache folder.
        const source = path.join(dir, "cached");
        const cache = path.join(dir, "bundles");
        fs.mkdirSync(source);
        fs.mkdirSync(cache);
        const entry = path.join(source, "entry.ts");
        const part = path.join(source, "part.ts");
        fs.writeFileSync(entry, 'import { marker } from "./part";\nexport const handler = async () => marker;\n');
        fs.writeFileSync(part, 'export const marker = "first";\n');
        const bundle = () => {
            process.env[BUNDLE_CACHE_VARIABLE] = cache;
            try {
                return Buffer.from(bundleFunction(entry)).toString("utf8");
            } finally {
                delete process.env[BUNDLE_CACHE_VARIABLE];
            }
        };
        const kept = () => fs.readdirSync(cache).map((name) => fs.statSync(path.join(cache, name)).ino);

        assert.match(bundle(), /"first"/);
        const [written] = kept();
        assert.match(bundle(), /"first"/);
        assert.deepEqual(kept(), [written], "the second build was served from the kept bundle, not written again");
        // A change in an imported file, not in the entry: the kept bundle is stale and is not served.
        fs.writeFileSync(part, 'export const marker = "second";\n');
        assert.match(bundle(), /"second"/);
        assert.notDeepEqual(kept(), [written]);
    });

    it("zips to the same bytes in every time zone", () => {
        const files = { "index.js": new TextEncoder().encode("exports.handler = async () => 1;\n") };
        const saved = process.env.TZ;
        try {
            process.env.TZ = "Pacific/Kiritimati";
            const east = deterministicZip(files);
            process.env.TZ = "Pacific/Pago_Pago";
            const west = deterministicZip(files);
            assert.deepEqual(east, west);
        } finally {
            if (saved === undefined) delete process.env.TZ;
            else process.env.TZ = saved;
        }
    });
});
