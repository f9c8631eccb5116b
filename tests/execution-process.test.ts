/**
 * `npm run execution` as a user runs it against a loopback Step Functions endpoint that misbehaves:
 * its exit codes, what it prints, and no stack trace. What it prints and returns runs in this
 * process (`runInProcess`); one run in a process of its own shows the exit code as the shell sees
 * it, through the command's own exit. `npm start`: cli-process.test.ts.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";

import { EXECUTION_CALL_LIMITS, followCommand } from "../commands/deployed-execution";
import { reply, StepFunctionsEndpoint, type ExecutionCall, type Reply } from "../local/step-functions-endpoint";
import { STACK_TRACE_LINE, runInProcess, runTypeScript } from "./support/processes";

/** Runs `npm run execution` with `args` in this process, with `env` added to this process's; in a process of its own with `own`. */
function run(script: "commands/execution.ts", args: string[], env: Record<string, string> = {}, own = false) {
    return own ? runTypeScript(script, args, { env: { ...process.env, ...env }, timeoutMs: 30_000 }) : runInProcess(script, args, { env });
}

describe("npm run execution", () => {
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
            const execution = (name: string, arn = MACHINE, own = false) =>
                run("commands/execution.ts", ["--state-machine-arn", arn, "--name", name, "--wait-seconds", "1"], env, own);
            const [hung, throttled, html, missing] = await Promise.all([
                // In a process of its own: its 2 s of waiting for a StartExecution that never
                // answers overlaps the runs in this process (which run one after another).
                execution("hung-start", MACHINE, true),
                execution("throttled-describe", `${MACHINE}:PROD`),
                execution("html-page", `${MACHINE}:7`),
                // In a process of its own: only a process shows that the command's own exit (it
                // ends the process on a failure) leaves the shell its exit code, 2, and its stderr.
                execution("no-machine", MACHINE, true),
            ]);
            for (const result of [hung, throttled, html, missing]) {
                assert.equal(result.stdout, "");
                assert.doesNotMatch(result.stderr, STACK_TRACE_LINE);
                assert.doesNotMatch(result.stderr, /SyntaxError/);
            }

            assert.equal(hung.code, 1, hung.stderr);
            assert.match(
                hung.stderr,
                /^error: StartExecution got no answer within [\d.]+ s \(retries included\)\n {2}the execution may have started as hung-start; /,
            );
            // --wait-seconds 1, a call's least time, and 6 s for a busy 2-core machine (four test files
            // at once; in this process, the runs before it): not for ever, nor the SDK's backoff timer (up to 20 s).
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
