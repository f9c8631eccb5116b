/**
 * `npm start` as a user runs it: its exit codes, what it prints, and no stack trace on a bad flag,
 * input or configuration. What it prints for given flags runs in this process (`runInProcess`);
 * one run in a process of its own shows the exit code and output as the shell sees them.
 * `npm run execution`: execution-process.test.ts.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { SIMULATED_FAILURE } from "../local/scenarios";
import { UNEXPECTED_PATH_EXIT_CODE } from "../view/execution-view";
import { PROJECT_DIR, STACK_TRACE_LINE, runInProcess, runTypeScript } from "./support/processes";

/** Runs `npm start` with `args` in this process (what it prints and returns). */
function run(script: "commands/start.ts", args: string[]) {
    return runInProcess(script, args);
}

describe("npm start", () => {
    it("npm start --json prints the execution as JSON and exits 0", async () => {
        const { code, stdout, stderr } = await run("commands/start.ts", ["--json", "--name", "cli-json", "--input", '{"order":7}']);
        assert.equal(code, 0, stderr);
        const { execution } = JSON.parse(stdout) as {
            execution: { name: string; status: string; input: unknown; history: { type: string }[]; notifications: { message: string }[] };
        };
        assert.equal(execution.name, "cli-json");
        assert.equal(execution.status, "SUCCEEDED");
        assert.deepEqual(execution.input, { order: 7 });
        assert.equal(execution.history.at(-1)?.type, "ExecutionSucceeded");
        assert.match(execution.notifications[0].message, /^Callback received\./);
    });

    it("npm start --expect exits 0 on the path named, else 4 with one line saying what happened", async () => {
        const [met, missed] = await Promise.all([
            run("commands/start.ts", ["--scenario", "failure", "--expect", "failure", "--json"]),
            run("commands/start.ts", ["--scenario", "failure", "--name", "cli-expect", "--expect", "success"]),
        ]);
        assert.equal(met.code, 0, met.stderr);
        assert.equal(missed.code, UNEXPECTED_PATH_EXIT_CODE, missed.stderr);
        assert.match(missed.stdout, /^Execution cli-expect: FAILED/, "the execution is printed as always");
        assert.equal(
            missed.stderr,
            `error: expected success, but execution cli-expect ended FAILED (TaskRejected: ${SIMULATED_FAILURE})\n`,
        );
    });

    it("npm start with several executions prints throughput and latency percentiles", async () => {
        const [{ code, stdout, stderr }, json] = await Promise.all([
            run("commands/start.ts", ["--executions", "20", "--concurrency", "5"]),
            run("commands/start.ts", ["--executions", "3", "--json", "--scenario", "failure"]),
        ]);
        assert.equal(code, 0, stderr);
        assert.match(
            stdout,
            /^20 executions, 5 at a time, in \d+ ms: 20 SUCCEEDED\n {2}paths: {6}20 TaskSucceeded → Notify Success\n {2}throughput: [\d.]+ executions\/s\n {2}latency: {4}p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/,
        );
        assert.equal(json.code, 0, json.stderr);
        const parsed = JSON.parse(json.stdout) as {
            summary: { executions: number; outcomes: Record<string, number> };
            executions: unknown[];
        };
        assert.equal(parsed.summary.executions, 3);
        assert.deepEqual(parsed.summary.outcomes, { "TaskFailed → Notify Failure": 3 });
        assert.equal(parsed.executions.length, 3);
    });

    it("bad flags, unreadable input and invalid config exit 2 with a message and no stack trace", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));
        const stackFile = path.join(PROJECT_DIR, `Pulumi.cli-test-${process.pid}.yaml`);
        fs.writeFileSync(stackFile, "config:\n  callback-pattern:logLevel: LOUD\n");
        const listFile = path.join(PROJECT_DIR, `Pulumi.cli-list-${process.pid}.yaml`);
        fs.writeFileSync(listFile, "- 1\n- 2\n");
        try {
            const cases: [string[], RegExp][] = [
                [
                    ["--scenario", "chaos"],
                    /^error: --scenario must be one of success, failure, timeout, duplicate, poison, handoff; got "chaos"\nRun `npm start -- --help` for the options\.\n$/,
                ],
                [["--input-file", path.join(dir, "missing.json")], /^error: cannot read --input-file .*missing\.json: ENOENT/],
                [
                    ["--stack", `cli-test-${process.pid}`],
                    /^error: Invalid stack configuration \(1 problem\):\n {2}- callback-pattern:logLevel is "LOUD": must be one of ALL, ERROR, FATAL, OFF\.\n$/,
                ],
                [["--stack", `cli-list-${process.pid}`], /^error: .*Pulumi\.cli-list-\d+\.yaml must be a map with a "config" key\n$/],
            ];
            const results = await Promise.all(
                cases.map(([args], i) =>
                    // The first in a process of its own: only a process shows the exit code and the
                    // streams as the shell sees them, and that no stack trace reaches them.
                    i === 0 ? runTypeScript("commands/start.ts", args) : run("commands/start.ts", args),
                ),
            );
            results.forEach(({ code, stdout, stderr }, i) => {
                const [args, message] = cases[i];
                assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
                assert.equal(stdout, "");
                assert.match(stderr, message);
                assert.doesNotMatch(stderr, STACK_TRACE_LINE);
            });
        } finally {
            fs.rmSync(stackFile, { force: true });
            fs.rmSync(listFile, { force: true });
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
