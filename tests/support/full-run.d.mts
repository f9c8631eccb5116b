/** Types of `full-run.mjs`, the config of `npm test` (plain JavaScript: mocha loads it before any TypeScript hook). */
export declare const extension: string[];
export declare const timeout: number;
declare const requires: string[];
export { requires as require };
export declare const spec: string[];
export declare const parallel: boolean;
export declare const jobs: number;
