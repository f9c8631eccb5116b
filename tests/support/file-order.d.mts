/** Types of `file-order.mjs` (plain JavaScript, so that mocha loads it before any TypeScript hook). */
/** Where the durations are kept: one file per test file. */
export declare const DURATIONS_FOLDER: string;
/** Orders test files longest first by the durations given; files without one first, in the order given. */
export declare function longestFirst(files: readonly string[], durationOf: (file: string) => number | undefined): string[];
/** Every test file of the project, longest first by the last recorded durations. */
export declare function testFilesLongestFirst(): string[];
/** Root hooks that record how long each file took. */
export declare const mochaHooks: { beforeAll(): void; afterAll(this: Mocha.Context): void };
