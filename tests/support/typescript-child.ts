/**
 * How the tests start a TypeScript file in a process of its own: with the same hooks as the test
 * run (tsx: esbuild transpiles each file, nothing type-checks it), which start a command in about
 * a fifth of ts-node's CPU time. The child inherits `TSX_DISABLE_CACHE` from the test run
 * (`typescript.mjs`), so it writes no transpile cache to the temporary directory.
 */
export const TYPESCRIPT_NODE_ARGS: readonly string[] = ["--import", "tsx"];
