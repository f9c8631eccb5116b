/**
 * `npm start` and `npm run execution` as a user runs them: separate processes, their exit codes,
 * what they print, and no stack trace on a bad flag, input or configuration.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { EXECUTION_CALL_LIMITS, followCommand } from "../commands/deployed-execution";
import { reply, StepFunctionsEndpoint, type ExecutionCall, type Reply } from "../local/step-functions-endpoint";
import { SIMULATED_FAILURE } from "../local/scenarios";
import { UNEXPECTED_PATH_EXIT_CODE } from "../view/execution-view";
import { PROJECT_DIR, runTypeScript } from "./support/processes";

/** Runs a command of the project in a process of its own, with `env` added to this process's. */
function run(script: "commands/start.ts" | "commands/execution.ts", args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) {
    return runTypeScript(script, args, { env: { ...process.env, ...env }, timeoutMs });
}

const NO_TRACE = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe("command-line runs", () => {
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
            const results = await Promise.all(cases.map(([args]) => run("commands/start.ts", args)));
            results.forEach(({ code, stdout, stderr }, i) => {
                const [args, message] = cases[i];
                assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
                assert.equal(stdout, "");
                assert.match(stderr, message);
                assert.doesNotMatch(stderr, NO_TRACE);
            });
        } finally {
            fs.rmSync(stackFile, { force: true });
            fs.rmSync(listFile, { force: true });
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("npm run execution without the Pulumi CLI or an ARN says what to pass", async () => {
        const { code, stderr } = await run("commands/execution.ts", [], { PATH: path.dirname(process.execPath) });
        assert.equal(code, 2);
        assert.match(
            stderr,
            /^error: the Pulumi CLI was not found, so the stack's outputs cannot be read: pass --state-machine-arn ARN\n$/,
        );
    });

    describe("npm run execution against a misbehaving endpoint (AWS_ENDPOINT_URL_SFN on loopback)", () => {
        const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:callback-workflow";
        const executionArn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:callback-workflow:${name}`;
        const PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        /** Each run's execution name picks how the endpoint misbehaves for it. */
        const misbehaviour: Record<string, (call: ExecutionCall) => Reply> = {
            "hung-start": (call) => (call.action === "StartExecution" ? reply.stall() : reply.json({})),
            "throttled-describe": (call) =>
                call.action === "StartExecution"
                    ? reply.json({ executionArn: executionArn("throttled-describe"), startDate: 0 })
                    : reply.error("ThrottlingException", 400, "Rate exceeded"),
            "html-page": () => reply.raw(502, PAGE, "text/html"),
            "no-machine": () => reply.error("StateMachineDoesNotExist", 400, "State Machine Does Not Exist"),
        };
        let endpoint: StepFunctionsEndpoint;
        before(async () => {
            endpoint = await StepFunctionsEndpoint.start({
                executions: (call) => {
                    const name =
                        String(call.input.name ?? call.input.executionArn)
                            .split(":")
                            .at(-1) ?? "";
                    return misbehaviour[name](call);
                },
            });
        });
        after(() => endpoint.close());

        it("ends within its limits, prints the execution's ARN at once, and names what the service answered", async () => {
            const env = {
                AWS_ENDPOINT_URL_SFN: endpoint.url,
                AWS_ACCESS_KEY_ID: "AKIDLOOPBACK",
                AWS_SECRET_ACCESS_KEY: "loopback",
                AWS_EC2_METADATA_DISABLED: "true",
            };
            const execution = (name: string, arn = MACHINE) =>
                run("commands/execution.ts", ["--state-machine-arn", arn, "--name", name, "--wait-seconds", "1"], env, 30_000);
            // In parallel: each process costs about a second to start.
            const [hung, throttled, html, missing] = await Promise.all([
                execution("hung-start"),
                execution("throttled-describe", `${MACHINE}:PROD`),
                execution("html-page", `${MACHINE}:7`),
                execution("no-machine"),
            ]);
            for (const result of [hung, throttled, html, missing]) {
                assert.equal(result.stdout, "");
                assert.doesNotMatch(result.stderr, NO_TRACE);
                assert.doesNotMatch(result.stderr, /SyntaxError/);
            }

            assert.equal(hung.code, 1, hung.stderr);
            assert.match(
                hung.stderr,
                /^error: StartExecution got no answer within [\d.]+ s \(retries included\)\n {2}the execution may have started as hung-start; /,
            );
            // --wait-seconds 1, a call's least time, and a process's start (up to 6 s on a busy 2-core
            // machine, four at once): not for ever, nor the SDK's backoff timer (up to 20 s).
            const bound = 1000 + EXECUTION_CALL_LIMITS.minCallMs + 6000;
            assert.ok(hung.ms < bound, `took ${hung.ms} ms`);
            assert.ok(throttled.ms < bound, `took ${throttled.ms} ms`);

            assert.equal(throttled.code, 1, throttled.stderr);
            const [started, ...rest] = throttled.stderr.split("\n");
            assert.equal(started, `started ${executionArn("throttled-describe")}`, "the ARN comes first, before the failure");
            assert.match(rest.join("\n"), /error: DescribeExecution .*ThrottlingException \(HTTP 400\): Rate exceeded\n/);
            assert.ok(throttled.stderr.includes(followCommand(executionArn("throttled-describe"))));

            assert.equal(html.code, 1, html.stderr);
            assert.equal(
                html.stderr,
                `error: StartExecution failed after ${EXECUTION_CALL_LIMITS.maxAttempts} attempts: HTTP 502 with a body that is not Step Functions' JSON (text/html): "502 Bad Gateway"\n`,
            );

            assert.equal(missing.code, 2, missing.stderr);
            assert.equal(
                missing.stderr,
                "error: StartExecution failed: StateMachineDoesNotExist (HTTP 400): State Machine Does Not Exist\n",
            );
        });
    });
});
