// Loaded by mocha (`.mocharc.json`'s "require") before any test file: tsx's hooks make Node run
// TypeScript, transpiled file by file with esbuild and never type-checked (`npm run typecheck` does
// that), so a type error does not stop the tests. tsx would keep its transpiled files in
// os.tmpdir()/tsx-<uid> for later runs; the tests leave nothing behind in the temporary directory,
// so that cache is off here and in every process the tests start (they inherit this environment).
import process from "node:process";

process.env.TSX_DISABLE_CACHE = "1";
await import("tsx");
