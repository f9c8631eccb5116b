/**
 * How the tests start a TypeScript file in a process of its own: with the same hooks as the test
 * run (tsx: esbuild transpiles each file, nothing type-checks it), which start a command in about
 * a fifth of ts-node's CPU time. A child given `process.env` inherits the run's TMPDIR
 * (`typescript.mjs`), so it reads and writes tsx's transpile cache there, shared with the other
 * processes of the run and removed when the run ends.
 */
export const TYPESCRIPT_NODE_ARGS: readonly string[] = ["--import", "tsx"];
