/**
 * Builds the callback function's deployment package: esbuild bundles the handler and its
 * dependencies into one file, which is zipped deterministically (fixed timestamps, permissions and
 * compression). Same code in, same bytes out: `pulumi preview` shows no diff when nothing changed,
 * and the hash given to Lambda (`codeSha256`) equals the `CodeSha256` AWS computes.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync, version, type BuildOptions } from "esbuild";
import { zipSync } from "fflate";

/** The project root: `infra/` sits directly below it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The handler entry of the callback function, and where its archive is written. */
export const CALLBACK_FUNCTION_ENTRY = path.join(PROJECT_ROOT, "functions", "callback", "handler.ts");
export const CALLBACK_FUNCTION_ARCHIVE = path.join(PROJECT_ROOT, ".build", "callback-function.zip");

/** Name of the bundled file inside the archive, and so the module part of the Lambda handler. */
const BUNDLE_FILE = "index.js";

export interface FunctionArtifact {
    /** Absolute path of the zip archive. */
    archivePath: string;
    /** Base64 SHA-256 of the archive, as Lambda reports it in `CodeSha256`. */
    sha256: string;
    /** Lambda `handler` setting for the bundle (`index.handler`). */
    handler: string;
    /** Size of the bundled code and of the archive, in bytes. */
    bundleBytes: number;
    archiveBytes: number;
}

/**
 * The environment variable naming a folder where bundles are kept between processes, for as long
 * as a test run lasts (the test run sets it, and removes the folder at its end); the local run
 * keeps its validated definitions there too (`local/validated-definitions.ts`). Unset, as for
 * `pulumi up`, every bundle is built afresh.
 */
export const BUNDLE_CACHE_VARIABLE = "CALLBACK_BUNDLE_CACHE";

/** The esbuild options of the bundle of `entry`: the same options, the same bytes. */
function bundleOptions(entry: string): BuildOptions & { write: false } {
    return {
        entryPoints: [entry],
        absWorkingDir: PROJECT_ROOT,
        bundle: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        // Prefer the packages' ES module builds: esbuild can drop what the handler never uses
        // (the AWS SDK's CommonJS builds cannot be tree-shaken).
        mainFields: ["module", "main"],
        minify: true,
        // Nothing machine-specific may enter the output: no source map with absolute paths,
        // no banner with a date. (The metafile below only lists the inputs; it is not output.)
        sourcemap: false,
        legalComments: "none",
        write: false,
        outfile: BUNDLE_FILE,
        logLevel: "silent",
    };
}

/** A kept bundle: its code and the SHA-256 of each file it was built from. */
interface CachedBundle {
    inputs: Record<string, string>;
    code: string;
}

const fileSha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/** The bundle kept in `cacheFile`, if there is one and every file it was built from is unchanged. */
function cachedBundle(cacheFile: string): Uint8Array | undefined {
    let cached: CachedBundle;
    try {
        cached = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as CachedBundle;
    } catch {
        return undefined; // none yet
    }
    for (const [input, sha] of Object.entries(cached.inputs)) {
        const file = path.resolve(PROJECT_ROOT, input);
        if (!fs.existsSync(file) || fileSha256(file) !== sha) return undefined;
    }
    return Buffer.from(cached.code, "base64");
}

/**
 * Bundles `entry` for the Lambda Node.js 22 runtime; returns the single output file. With
 * {@link BUNDLE_CACHE_VARIABLE} set, a bundle built from the same files by an earlier process of
 * the same test run is reused: the bundle is the one slow step of every program run and local run.
 */
export function bundleFunction(entry: string): Uint8Array {
    const cacheDir = process.env[BUNDLE_CACHE_VARIABLE];
    const options = bundleOptions(entry);
    const cacheFile =
        cacheDir === undefined || cacheDir === ""
            ? undefined
            : path.join(
                  cacheDir,
                  `${createHash("sha256")
                      .update(JSON.stringify([version, options]))
                      .digest("hex")}.json`,
              );
    const kept = cacheFile === undefined ? undefined : cachedBundle(cacheFile);
    if (kept !== undefined) return kept;

    const result = buildSync({ ...options, metafile: cacheFile !== undefined });
    if (result.outputFiles.length !== 1) {
        throw new Error(`esbuild produced ${result.outputFiles.length} files for ${entry}; expected one`);
    }
    const code = result.outputFiles[0].contents;
    if (cacheFile !== undefined && result.metafile !== undefined) {
        const inputs = Object.fromEntries(
            Object.keys(result.metafile.inputs).map((input) => [input, fileSha256(path.resolve(PROJECT_ROOT, input))]),
        );
        const record: CachedBundle = { inputs, code: Buffer.from(code).toString("base64") };
        // Written whole, then renamed: a process reading it at the same time never sees half.
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, JSON.stringify(record));
        fs.renameSync(temporary, cacheFile);
    }
    return code;
}

/**
 * Zips `files` so that the bytes depend on the contents alone. The DOS timestamp in a zip entry
 * is local time, so it is built from local components: the same in every time zone.
 */
export function deterministicZip(files: Record<string, Uint8Array>): Uint8Array {
    const entries = Object.keys(files)
        .sort()
        .map((name) => [name, files[name]] as const);
    return zipSync(Object.fromEntries(entries), {
        level: 9,
        mtime: new Date(1980, 0, 1, 0, 0, 0),
        os: 3, // Unix, so that the attributes below are read as a mode
        attrs: (0o100644 << 16) >>> 0, // regular file, rw-r--r--
    });
}

/** Base64 SHA-256, the form Lambda uses for `CodeSha256`. */
export function sha256Base64(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("base64");
}

/**
 * The archives zipped in this process, by the SHA-256 of the bundle inside. Zipping at level 9
 * takes tens of milliseconds, and a process that builds the same code again (every program run
 * and every local run of a test worker) would get the same bytes anyway: the zip is deterministic.
 * Only the last few are kept, so a process that builds many bundles holds no more than these.
 */
const ZIPPED_BUNDLES = new Map<string, Uint8Array>();
const ZIPPED_BUNDLES_KEPT = 4;

/** The archive of a bundle: {@link deterministicZip} of it as {@link BUNDLE_FILE}, zipped once per process. */
function zipBundle(code: Uint8Array): Uint8Array {
    const key = createHash("sha256").update(code).digest("hex");
    const kept = ZIPPED_BUNDLES.get(key);
    if (kept !== undefined) return kept;
    const archive = deterministicZip({ [BUNDLE_FILE]: code });
    ZIPPED_BUNDLES.set(key, archive);
    const oldest = ZIPPED_BUNDLES.keys().next().value;
    if (ZIPPED_BUNDLES.size > ZIPPED_BUNDLES_KEPT && oldest !== undefined) ZIPPED_BUNDLES.delete(oldest);
    return archive;
}

/**
 * Bundles `entry`, zips it and writes the archive to `archivePath` (atomically: a concurrent
 * preview never reads half a file).
 */
export function buildFunctionArtifact(
    entry: string = CALLBACK_FUNCTION_ENTRY,
    archivePath: string = CALLBACK_FUNCTION_ARCHIVE,
): FunctionArtifact {
    const code = bundleFunction(entry);
    const archive = zipBundle(code);
    fs.mkdirSync(path.dirname(archivePath), { recursive: true });
    const temporary = `${archivePath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, archive);
    fs.renameSync(temporary, archivePath);
    return {
        archivePath,
        sha256: sha256Base64(archive),
        handler: `${path.basename(BUNDLE_FILE, ".js")}.handler`,
        bundleBytes: code.byteLength,
        archiveBytes: archive.byteLength,
    };
}
