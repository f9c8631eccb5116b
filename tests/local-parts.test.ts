/** The local run's parts on their own: task tokens, the queue, the stack file, the flags. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { CliError, checkExecutionName, checkNodeVersion, DEFAULT_INPUT } from "../commands/cli";
import { parseExecutionArgs } from "../commands/execution-args";
import { ExecutionInputError, jsonDepth, MAX_INPUT_BYTES, MAX_INPUT_DEPTH } from "../commands/execution-input";
import { parseStartArgs, readStartInput } from "../commands/start-args";
import { MAX_TASK_TIMEOUT_SECONDS } from "../infra/definition";
import { LocalQueue, type QueueEvent } from "../local/local-queue";
import { clearLongTimeout, loadInterpreter, setLongTimeout } from "../local/long-timers";
import { MAX_TIMER_MS } from "../functions/callback/deadline";
import { PartnerApi, type PartnerTask } from "../local/partner-api";
import { SIMULATED_FAILURE } from "../local/scenarios";
import { loadStackSettings, readStackConfig, StackConfigError } from "../local/stack-config";
import { ConfigError, parseSettings, settingsWarnings } from "../infra/config";
import { EXPECTED_PATHS } from "../view/execution-view";
import { StepFunctionsEndpoint, type EndpointCall, type TaskTokenAction } from "../local/step-functions-endpoint";
import { TaskError, TaskTokens, TOKEN_PREFIX } from "../local/task-tokens";
import { parseCallbackArgs } from "../commands/callback-args";

const call = (action: TaskTokenAction, input: Record<string, unknown>): EndpointCall => ({ action, input, attempt: 1, headers: {} });

describe("local run parts", () => {
    describe("task tokens", () => {
        it("issues unique tokens; the first callback closes one, a second gets TaskTimedOut, an unknown one InvalidToken", async () => {
            const tokens = new TaskTokens();
            const [a, b] = [tokens.issue(), tokens.issue()];
            assert.notEqual(a, b);
            const result = tokens.waitFor(a, { timeoutSeconds: 5 });
            // None reads as a flag on a command line (`npm run callback -- --token TOKEN`).
            const many = Array.from({ length: 200 }, () => tokens.issue());
            assert.ok(
                many.every(
                    (token) =>
                        token.startsWith(TOKEN_PREFIX) && parseCallbackArgs(["--token", token, "--heartbeat"]).token.from === "argument",
                ),
            );
            assert.deepEqual(tokens.respond(call("SendTaskSuccess", { taskToken: a, output: '{"ok":true}' })), { kind: "ok" });
            assert.deepEqual(await result, { ok: true });
            assert.equal(
                (tokens.respond(call("SendTaskSuccess", { taskToken: a, output: "{}" })) as { type: string }).type,
                "TaskTimedOut",
            );
            assert.equal((tokens.respond(call("SendTaskFailure", { taskToken: a })) as { type: string }).type, "TaskTimedOut");
            assert.equal(
                (tokens.respond(call("SendTaskSuccess", { taskToken: "made-up", output: "{}" })) as { type: string }).type,
                "InvalidToken",
            );
            tokens.closeAll();
            assert.equal(tokens.waiting, 0);
        });

        it("SendTaskFailure rejects the task with the error and cause it names", async () => {
            const tokens = new TaskTokens();
            const token = tokens.issue();
            const result = tokens.waitFor(token, { timeoutSeconds: 5 });
            tokens.respond(call("SendTaskFailure", { taskToken: token, error: "TaskRejected", cause: "out of stock" }));
            await assert.rejects(
                result,
                (error: unknown) => error instanceof TaskError && error.name === "TaskRejected" && error.message === "out of stock",
            );
        });

        it("refuses an output that is not JSON without closing the task", async () => {
            const tokens = new TaskTokens();
            const token = tokens.issue();
            const result = tokens.waitFor(token, { timeoutSeconds: 5 });
            assert.equal(
                (tokens.respond(call("SendTaskSuccess", { taskToken: token, output: "{oops" })) as { type: string }).type,
                "InvalidOutput",
            );
            assert.deepEqual(tokens.respond(call("SendTaskSuccess", { taskToken: token, output: "1" })), { kind: "ok" });
            assert.equal(await result, 1);
        });

        it("times a task out after TimeoutSeconds, and after HeartbeatSeconds without a heartbeat", async () => {
            const tokens = new TaskTokens();
            const slow = tokens.issue();
            await assert.rejects(tokens.waitFor(slow, { timeoutSeconds: 0.05 }), /No callback within TimeoutSeconds/);
            assert.equal(
                (tokens.respond(call("SendTaskSuccess", { taskToken: slow, output: "{}" })) as { type: string }).type,
                "TaskTimedOut",
            );
            const quiet = tokens.issue();
            await assert.rejects(
                tokens.waitFor(quiet, { timeoutSeconds: 5, heartbeatSeconds: 0.05 }),
                (e: Error) => e.name === "States.Timeout" && /heartbeat/.test(e.message),
            );
        });

        it("a heartbeat keeps the task alive past HeartbeatSeconds", async () => {
            const tokens = new TaskTokens();
            const token = tokens.issue();
            const result = tokens.waitFor(token, { timeoutSeconds: 5, heartbeatSeconds: 0.1 });
            for (let i = 0; i < 4; i++) {
                await new Promise((resolve) => setTimeout(resolve, 60));
                assert.deepEqual(tokens.respond(call("SendTaskHeartbeat", { taskToken: token })), { kind: "ok" });
            }
            tokens.respond(call("SendTaskSuccess", { taskToken: token, output: '"done"' }));
            assert.equal(await result, "done"); // 240 ms after the start: past HeartbeatSeconds, kept alive
        });
    });

    describe("long timers", () => {
        it("a delay past Node's longest timer does not fire early (Node's own setTimeout fires it after 1 ms)", async () => {
            let fired = false;
            const timer = setLongTimeout(() => (fired = true), MAX_TIMER_MS + 1000);
            await new Promise((resolve) => setTimeout(resolve, 50));
            clearLongTimeout(timer);
            assert.equal(fired, false);
        });

        it("waits the whole delay through a chain of shorter timers, then fires once", async () => {
            const started = performance.now();
            const fired = await new Promise<number>((resolve) => setLongTimeout(() => resolve(performance.now() - started), 60, 15));
            assert.ok(fired >= 59, `fired after ${fired} ms`);
        });

        it("a cleared timer never fires, whichever link of the chain is waiting", async () => {
            let fired = 0;
            const early = setLongTimeout(() => fired++, 60, 15);
            const late = setLongTimeout(() => fired++, 60, 15);
            clearLongTimeout(early);
            await new Promise((resolve) => setTimeout(resolve, 35));
            clearLongTimeout(late);
            await new Promise((resolve) => setTimeout(resolve, 60));
            assert.equal(fired, 0);
            clearLongTimeout(undefined);
        });

        it("the interpreter waits a task's TimeoutSeconds past Node's longest timer", async () => {
            const { StateMachine } = loadInterpreter();
            const machine = new StateMachine(
                {
                    StartAt: "Wait",
                    TimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS + 60,
                    States: {
                        Wait: {
                            Type: "Task",
                            Resource: "arn:aws:lambda:us-east-1:123456789012:function:wait",
                            TimeoutSeconds: MAX_TASK_TIMEOUT_SECONDS,
                            End: true,
                        },
                    },
                } as never,
                { validationOptions: { checkArn: false } },
            );
            let answer!: (output: { done: boolean }) => void;
            const run = machine.run(
                {},
                { overrides: { taskResourceLocalHandlers: { Wait: () => new Promise((resolve) => (answer = resolve)) } } },
            );
            await new Promise((resolve) => setTimeout(resolve, 50));
            answer({ done: true });
            assert.deepEqual(await run.result, { done: true });
        });

        it("task tokens wait a TimeoutSeconds past Node's longest timer", async () => {
            const tokens = new TaskTokens();
            const token = tokens.issue();
            const result = tokens.waitFor(token, {
                timeoutSeconds: MAX_TASK_TIMEOUT_SECONDS,
                heartbeatSeconds: MAX_TASK_TIMEOUT_SECONDS - 1,
            });
            await new Promise((resolve) => setTimeout(resolve, 50));
            tokens.respond(call("SendTaskSuccess", { taskToken: token, output: '"in time"' }));
            assert.equal(await result, "in time");
        });
    });

    describe("in-process queue", () => {
        function queueWith(
            consumer: (event: SQSEvent) => Promise<SQSBatchResponse>,
            options: Partial<ConstructorParameters<typeof LocalQueue>[0]> = {},
        ) {
            const events: QueueEvent[] = [];
            const queue = new LocalQueue({
                queueArn: "arn:aws:sqs:local:000000000000:q",
                batchSize: 10,
                maxReceiveCount: 2,
                redeliveryDelayMs: 5,
                maxConcurrentBatches: 1,
                consumer,
                onEvent: (e) => events.push(e),
                ...options,
            });
            return { queue, events };
        }

        it("delivers SQS-shaped records in batches and deletes what the consumer did not name", async () => {
            const seen: SQSEvent[] = [];
            const { queue, events } = queueWith(
                async (event) => {
                    seen.push(event);
                    return { batchItemFailures: [] };
                },
                { batchSize: 2 },
            );
            const ids = ["a", "b", "c"].map((body) => queue.send(body));
            await Promise.all(ids.map((id) => queue.whenDone(id)));
            assert.deepEqual(
                seen.map((e) => e.Records.map((r) => r.body)),
                [["a", "b"], ["c"]],
            );
            const record = seen[0].Records[0];
            assert.equal(record.eventSource, "aws:sqs");
            assert.equal(record.attributes.ApproximateReceiveCount, "1");
            assert.equal(events.filter((e) => e.type === "deleted").length, 3);
        });

        it("returns named failures and a throwing consumer's whole batch, then dead-letters after maxReceiveCount receives", async () => {
            const { queue, events } = queueWith(async (event) => {
                if (event.Records.some((r) => r.body === "throw")) throw new Error("invocation failed");
                return { batchItemFailures: event.Records.filter((r) => r.body === "bad").map((r) => ({ itemIdentifier: r.messageId })) };
            });
            const bad = queue.send("bad");
            await queue.whenDone(bad);
            const thrown = queue.send("throw");
            await queue.whenDone(thrown);
            assert.deepEqual(
                queue.deadLetters.map((m) => [m.body, m.receiveCount]),
                [
                    ["bad", 2],
                    ["throw", 2],
                ],
            );
            assert.deepEqual(
                events.filter((e) => e.messageId === bad).map((e) => e.type),
                ["sent", "received", "returned", "received", "returned", "dead-lettered"],
            );
        });

        it("keeps at most maxConcurrentBatches batches in flight, and loses no message when many arrive at once", async () => {
            const limit = 3;
            let inFlight = 0;
            let mostInFlight = 0;
            const delivered: string[] = [];
            const { queue } = queueWith(
                async (event) => {
                    mostInFlight = Math.max(mostInFlight, ++inFlight);
                    await new Promise((resolve) => setTimeout(resolve, 5));
                    delivered.push(...event.Records.map((r) => r.body));
                    inFlight--;
                    return { batchItemFailures: [] };
                },
                { batchSize: 2, maxConcurrentBatches: limit },
            );
            const bodies = Array.from({ length: 200 }, (_, i) => `m${i}`);
            await Promise.all(bodies.map((body) => queue.send(body)).map((id) => queue.whenDone(id)));
            assert.equal(mostInFlight, limit);
            assert.deepEqual([...delivered].sort(), [...bodies].sort());
            assert.deepEqual(queue.deadLetters, []);
        });

        it("delivers nothing again once closed: a batch in flight that comes back stays back", async () => {
            let deliveries = 0;
            let fail!: () => void;
            const { queue } = queueWith(() => {
                deliveries++;
                return new Promise<SQSBatchResponse>((_, reject) => (fail = () => reject(new Error("the run ended"))));
            });
            queue.send("in flight");
            await new Promise((resolve) => setImmediate(resolve));
            queue.close();
            fail();
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.equal(deliveries, 1);
        });

        it("holds a message until its hold settles, then delivers it", async () => {
            let delivered = 0;
            const { queue } = queueWith(async (event) => {
                delivered += event.Records.length;
                return { batchItemFailures: [] };
            });
            let release!: () => void;
            const id = queue.send("later", { holdUntil: new Promise<void>((resolve) => (release = resolve)) });
            queue.send("now");
            await new Promise((resolve) => setTimeout(resolve, 20));
            assert.equal(delivered, 1, "only the message without a hold was delivered");
            release();
            await queue.whenDone(id);
            assert.equal(delivered, 2);
        });
    });

    describe("partner API (the handoff scenario's external process)", () => {
        let partner: PartnerApi;
        let answered: string[];
        const start = (workMs = 20) =>
            PartnerApi.start({
                workMs,
                heartbeat: async () => undefined,
                answer: async (task: PartnerTask) => void answered.push(task.taskToken),
                onError: () => undefined,
            });
        beforeEach(async () => {
            answered = [];
            partner = await start();
        });
        afterEach(() => partner.close());
        const post = (body: string | Buffer) =>
            fetch(partner.url, { method: "POST", body, signal: AbortSignal.timeout(2000) }).then(async (r) => [r.status, await r.text()]);
        /** A raw connection that sends the headers of a POST and the start of its body. */
        const halfRequest = async () => {
            const socket = net.connect(Number(new URL(partner.url).port), "127.0.0.1");
            socket.on("error", () => undefined);
            socket.write('POST / HTTP/1.1\r\nHost: partner\r\nContent-Length: 1000\r\n\r\n{"taskToken":');
            await new Promise((resolve) => setTimeout(resolve, 50));
            return socket;
        };

        it("takes a task and answers it after its work; refuses what is not a task", async () => {
            assert.deepEqual(await post('{"taskToken":"t1"}'), [202, '{"accepted":true}']);
            assert.deepEqual(await post("not json"), [400, "not JSON"]);
            assert.deepEqual(await post('{"taskToken":5}'), [400, "no taskToken"]);
            await new Promise((resolve) => setTimeout(resolve, 60));
            assert.deepEqual(answered, ["t1"]);
        });

        it("keeps nothing of a task once it has answered it: a long run with large inputs does not grow", async () => {
            let seen: WeakRef<PartnerTask> | undefined;
            await partner.close();
            partner = await PartnerApi.start({
                workMs: 10,
                heartbeat: async () => undefined,
                answer: async (task) => void (seen = new WeakRef(task)),
                onError: () => undefined,
            });
            assert.deepEqual(await post(JSON.stringify({ taskToken: "t4", input: { blob: "x".repeat(100_000) } })), [
                202,
                '{"accepted":true}',
            ]);
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.ok(seen !== undefined, "answered");
            v8.setFlagsFromString("--expose-gc");
            (vm.runInNewContext("gc") as () => void)();
            assert.equal(seen.deref(), undefined, "the partner still holds the task");
        });

        it("a client that goes away in the middle of a request, and a close during one, crash nothing", async () => {
            // Outside mocha, an unhandled rejection ends the process (npm start with it).
            const unhandled: unknown[] = [];
            const onUnhandled = (reason: unknown) => unhandled.push(reason);
            process.on("unhandledRejection", onUnhandled);
            try {
                (await halfRequest()).destroy();
                await new Promise((resolve) => setTimeout(resolve, 50));
                assert.deepEqual(await post('{"taskToken":"t2"}'), [202, '{"accepted":true}']);
                await halfRequest();
                await partner.close();
                await new Promise((resolve) => setTimeout(resolve, 50));
            } finally {
                process.off("unhandledRejection", onUnhandled);
            }
            assert.deepEqual(unhandled, []);
        });

        it("a request too large is refused with 413 and its connection closed, so that the next request is answered", async () => {
            // One kept-alive socket: the next request goes over the 413's connection unless the partner closed it.
            const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
            const send = (body: Buffer | string) =>
                new Promise<number>((resolve, reject) => {
                    const request = http.request(partner.url, { method: "POST", agent, timeout: 1000 }, (response) => {
                        response.resume();
                        response.on("end", () => resolve(response.statusCode!));
                    });
                    request.on("timeout", () => request.destroy(new Error("no answer within 1 s")));
                    request.on("error", reject);
                    request.end(body);
                });
            try {
                assert.equal(await send(Buffer.alloc(400 * 1024, 97)), 413);
                await new Promise((resolve) => setTimeout(resolve, 20));
                assert.equal(await send('{"taskToken":"t3"}'), 202);
            } finally {
                agent.destroy();
            }
        });
    });

    describe("loopback Step Functions endpoint", () => {
        it("a client that goes away in the middle of a request crashes nothing", async () => {
            const endpoint = await StepFunctionsEndpoint.start();
            const unhandled: unknown[] = [];
            const onUnhandled = (reason: unknown) => unhandled.push(reason);
            process.on("unhandledRejection", onUnhandled);
            try {
                const socket = net.connect(Number(new URL(endpoint.url).port), "127.0.0.1");
                socket.on("error", () => undefined);
                socket.write("POST / HTTP/1.1\r\nHost: endpoint\r\nContent-Length: 1000\r\n\r\n{");
                await new Promise((resolve) => setTimeout(resolve, 50));
                socket.destroy();
                await new Promise((resolve) => setTimeout(resolve, 50));
            } finally {
                process.off("unhandledRejection", onUnhandled);
                await endpoint.close();
            }
            assert.deepEqual(unhandled, []);
        });
    });

    describe("stack file", () => {
        let dir: string;
        before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"))));
        after(() => fs.rmSync(dir, { recursive: true, force: true }));
        const write = (text: string) => {
            const file = path.join(dir, `Pulumi.${Math.random().toString(16).slice(2)}.yaml`);
            fs.writeFileSync(file, text);
            return file;
        };

        it("hands over values as Pulumi does: strings, objects as JSON, other namespaces left out", () => {
            const file = write(
                "config:\n  aws:region: eu-west-1\n  cp:batchSize: 5\n  cp:includeExecutionData: true\n  cp:tags:\n    team: platform\n  aws:profile: x\n",
            );
            assert.deepEqual(readStackConfig(file, "cp"), {
                file,
                region: "eu-west-1",
                raw: { batchSize: "5", includeExecutionData: "true", tags: '{"team":"platform"}' },
            });
        });

        it("hands over a scalar as the text written, as Pulumi does: 3e2, 0x12c, True, yes, 1_000 are not numbers or booleans", () => {
            const written = ["3e2", "0x12c", "True", "yes", "1_000", "0o17", ".inf", "1.50", "-0"];
            const file = write(`config:\n${written.map((text, i) => `  cp:key${i}: ${text}\n`).join("")}  cp:quoted: "a: b"\n`);
            assert.deepEqual(readStackConfig(file, "cp").raw, {
                ...Object.fromEntries(written.map((text, i) => [`key${i}`, text])),
                quoted: "a: b",
            });
        });

        it("resolves anchors, aliases and << merge keys and decodes !!binary, as Pulumi's YAML reader does", () => {
            const file = write(
                "config:\n" +
                    "  cp:a: &limit 300\n" +
                    "  cp:b: *limit\n" +
                    "  cp:base: &base {team: platform}\n" +
                    "  cp:tags: *base\n" +
                    "  cp:merged:\n    <<: *base\n    owner: me\n" +
                    "  cp:level: !!binary RVJST1I=\n",
            );
            assert.deepEqual(readStackConfig(file, "cp").raw, {
                a: "300",
                b: "300",
                base: '{"team":"platform"}',
                tags: '{"team":"platform"}',
                merged: '{"team":"platform","owner":"me"}',
                level: "ERROR",
            });
        });

        it("hands over an empty or null value as an empty string, as Pulumi does (never the text null or ~)", () => {
            const file = write("config:\n  cp:a:\n  cp:b: null\n  cp:c: ~\n  cp:d: ''\n");
            assert.deepEqual(readStackConfig(file, "cp").raw, { a: "", b: "", c: "", d: "" });
        });

        it("takes a map with a secure key among others for what Pulumi takes it: a plain map, not a secret", () => {
            const file = write('config:\n  cp:tags:\n    secure: "yes"\n    team: platform\n');
            assert.deepEqual(readStackConfig(file, "cp").raw, { tags: '{"secure":"yes","team":"platform"}' });
        });

        it("refuses an alias without its anchor, an alias bomb and a key written twice as the file's fault, naming the file", () => {
            const refused = (text: string, reason: RegExp) =>
                assert.throws(
                    () => readStackConfig(write(text), "cp"),
                    (e: Error) => e instanceof StackConfigError && e.message.includes(".yaml") && reason.test(e.message),
                );
            refused("config:\n  cp:tags: *nowhere\n", /nowhere/);
            const levels = Array.from(
                { length: 12 },
                (_, i) => `l${i}: &l${i} [${i === 0 ? "x" : `*l${i - 1}`}${`, ${i === 0 ? "x" : `*l${i - 1}`}`.repeat(8)}]`,
            );
            refused(`${levels.join("\n")}\nconfig:\n  cp:tags: *l11\n`, /alias/i);
            refused("config:\n  cp:batchSize: 1\n  cp:tags: {a: 1, a: 2}\n  cp:batchSize: 2\n", /"cp:batchSize" twice .*line 4/);
        });

        it("so the stack's validation sees what pulumi up would: a number written as 3e2 is refused", () => {
            const root = fs.mkdtempSync(path.join(dir, "project-"));
            fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: cp\n");
            fs.writeFileSync(path.join(root, "Pulumi.s.yaml"), "config:\n  cp:taskTimeoutSeconds: 3e2\n");
            assert.throws(
                () => loadStackSettings("s", root),
                (e: Error) => e instanceof ConfigError && e.problems[0].startsWith('cp:taskTimeoutSeconds is "3e2"'),
            );
        });

        it("refuses a key of a namespace nobody reads (a misspelled project name), naming the key and the right namespace", () => {
            assert.throws(
                () => readStackConfig(write("config:\n  cq:taskTimeoutSeconds: 60\n"), "cp"),
                (e: Error) =>
                    e instanceof StackConfigError &&
                    /cq:taskTimeoutSeconds: "cq" is not this project's namespace .*did you mean cp:taskTimeoutSeconds\?/.test(e.message),
            );
            // Pulumi's own keys and the providers' stay allowed.
            assert.deepEqual(readStackConfig(write("config:\n  pulumi:template: x\n  aws:profile: p\n  cp:batchSize: 5\n"), "cp").raw, {
                batchSize: "5",
            });
        });

        it("refuses a key with no namespace, a bare namespace included, without suggesting a key of the namespace's name", () => {
            assert.throws(
                () => readStackConfig(write("config:\n  cp: 60\n"), "cp"),
                (e: Error) =>
                    e instanceof StackConfigError &&
                    /cp has no namespace: keys are written NAMESPACE:NAME/.test(e.message) &&
                    !e.message.includes("cp:cp"),
            );
            assert.throws(
                () => readStackConfig(write("config:\n  batchSize: 3\n"), "cp"),
                /batchSize has no namespace.*did you mean cp:batchSize\?/,
            );
        });

        it("hands over a key named like an object's own property as the stack gets it, so that it is refused as there", () => {
            // Every name an object answers without having it (__proto__ among them: an assignment drops it).
            for (const name of Object.getOwnPropertyNames(Object.prototype)) {
                const { raw } = readStackConfig(write(`config:\n  cp:${name}: "5"\n`), "cp");
                assert.deepEqual(Object.entries(raw), [[name, "5"]], name);
                assert.throws(
                    () => parseSettings("cp", raw),
                    (e: Error) => e instanceof ConfigError && e.message.includes(`cp:${name} is not a setting of this program`),
                    name,
                );
            }
        });

        it("reads a key in Pulumi's older form NAMESPACE:config:NAME as NAMESPACE:NAME, as Pulumi does", () => {
            const file = write("config:\n  cp:config:batchSize: 3\n  aws:config:region: eu-west-1\n");
            assert.deepEqual(readStackConfig(file, "cp"), { file, region: "eu-west-1", raw: { batchSize: "3" } });
        });

        it("gives the warnings the program prints at pulumi preview, from the same function", () => {
            const root = fs.mkdtempSync(path.join(dir, "project-"));
            fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: cp\n");
            fs.writeFileSync(
                path.join(root, "Pulumi.s.yaml"),
                "config:\n  cp:includeExecutionData: true\n  cp:functionTimeoutSeconds: 3\n",
            );
            const { settings, warnings } = loadStackSettings("s", root);
            assert.deepEqual(warnings, settingsWarnings("cp", settings));
            assert.equal(warnings.length, 2);
        });

        it("says which file and key it cannot use", () => {
            assert.throws(
                () => readStackConfig(path.join(dir, "missing.yaml"), "cp"),
                (e: Error) => e instanceof StackConfigError && /cannot read the stack configuration .*missing\.yaml/.test(e.message),
            );
            assert.throws(() => readStackConfig(write("config: [1, 2]\n"), "cp"), /"config" must be a map/);
            assert.throws(
                () => readStackConfig(write("config:\n  cp:notificationEmail:\n    secure: AAAB\n"), "cp"),
                /cp:notificationEmail is a secret or holds one; the local run cannot decrypt it/,
            );
            // `pulumi config set --secret --path cp:tags.team …` leaves the secret inside the map.
            assert.throws(
                () => readStackConfig(write("config:\n  cp:tags:\n    team:\n      secure: AAAB\n"), "cp"),
                /cp:tags is a secret or holds one; the local run cannot decrypt it/,
            );
            assert.throws(() => readStackConfig(write("config: {a: [}\n"), "cp"), /is not valid YAML/);
        });
    });

    describe("flags", () => {
        it("has the console's defaults", () => {
            const options = parseStartArgs([]);
            assert.deepEqual(options.input, DEFAULT_INPUT);
            assert.equal(options.scenario, "success");
            assert.equal(options.stack, "dev");
            assert.equal(options.executions, 1);
            assert.match(options.name, /^local-\d{8}-\d{6}-[0-9a-f]{1,4}$/);
        });

        it("reads the input from --input or --input-file; the failure scenario adds its fail field", async () => {
            const file = path.join(os.tmpdir(), `input-${process.pid}.json`);
            fs.writeFileSync(file, '{"order": 7}');
            try {
                assert.deepEqual(await readStartInput(parseStartArgs(["--input-file", file])), { order: 7 });
            } finally {
                fs.rmSync(file);
            }
            assert.deepEqual(parseStartArgs(["--input", "[1]"]).input, [1]);
            assert.deepEqual(parseStartArgs(["--scenario", "failure", "--input", '{"a":1}']).input, {
                fail: SIMULATED_FAILURE,
                a: 1,
            });
        });

        const rejected: [string[], RegExp][] = [
            [["--bogus"], /Unknown option '--bogus'/],
            [["--scenario", "chaos"], /--scenario must be one of success, failure, timeout, duplicate, poison, handoff; got "chaos"/],
            [["--input", "{oops"], /--input is not valid JSON/],
            [["--input", "{}", "--input-file", "x"], /give --input or --input-file, not both/],
            [["--executions", "0"], /--executions must be a whole number from 1 to 10000; got "0"/],
            [["--concurrency", "many"], /--concurrency must be a whole number from 1 to 1000/],
            [
                ["--task-timeout-seconds=-5"],
                new RegExp(`--task-timeout-seconds must be a whole number from 1 to ${MAX_TASK_TIMEOUT_SECONDS}; got "-5"`),
            ],
            [["--task-timeout-seconds", "-5"], /Option .--task-timeout-seconds. argument is ambiguous/],
            [["--name", "has space"], /--name "has space" contains " "/],
            [["--name", "x".repeat(81)], /--name must be 1 to 80 characters long; got 81/],
            [["--scenario", "failure", "--input", '"text"'], /the input must be a JSON object/],
            [["--stack", "../etc"], /--stack "..\/etc" is not a stack name/],
            [["--executions"], /argument missing/],
            [["--expect", "maybe"], /--expect must be success or failure; got "maybe"/],
            [["--name", "n".repeat(78), "--executions", "100"], /--name \(with its -N suffix\) must be 1 to 80 characters long; got 82/],
        ];
        for (const [args, message] of rejected) {
            it(`rejects ${args.join(" ")}`, () => {
                assert.throws(
                    () => parseStartArgs(args),
                    (e: Error) => e instanceof CliError && message.test(e.message),
                );
            });
        }

        it("checks the execution flags too", () => {
            assert.throws(
                () => parseExecutionArgs(["--state-machine-arn", "arn:aws:sqs:eu-west-1:123456789012:q"]),
                /is not a state machine ARN/,
            );
            assert.equal(
                parseExecutionArgs(["--state-machine-arn", "arn:aws:states:eu-west-1:123456789012:stateMachine:m"]).stateMachineArn,
                "arn:aws:states:eu-west-1:123456789012:stateMachine:m",
            );
            assert.equal(parseExecutionArgs([]).waitSeconds, 900);
            assert.throws(() => parseExecutionArgs(["--wait-seconds", "0"]), /--wait-seconds must be a whole number from 1/);
        });

        it("accepts execution names Step Functions accepts", () => {
            assert.equal(checkExecutionName("order-42_retry.1"), "order-42_retry.1");
        });

        it("refuses every character Step Functions refuses in an execution name", () => {
            // StartExecution's rules for `name`: whitespace, brackets, wildcards, these punctuation
            // marks, and control characters (U+0000-001F, U+007F-009F).
            for (const bad of [
                " ",
                "<",
                ">",
                "{",
                "}",
                "[",
                "]",
                "?",
                "*",
                '"',
                "#",
                "%",
                "\\",
                "^",
                "|",
                "~",
                "`",
                "$",
                "&",
                ",",
                ";",
                ":",
                "/",
                "\u0000",
                "\u001f",
                "\u007f",
                "\u009f",
            ]) {
                assert.throws(() => checkExecutionName(`order${bad}42`), CliError, JSON.stringify(bad));
            }
        });

        it("takes --expect success or failure, on both commands", () => {
            for (const path of EXPECTED_PATHS) {
                assert.equal(parseStartArgs(["--expect", path]).expect, path);
                assert.equal(parseExecutionArgs(["--expect", path]).expect, path);
            }
            assert.equal(parseStartArgs([]).expect, undefined);
            assert.throws(() => parseExecutionArgs(["--expect", "SUCCEEDED"]), /--expect must be success or failure; got "SUCCEEDED"/);
        });

        it("takes every JSON input Step Functions takes, those false in JavaScript too, for both commands", () => {
            for (const text of ["0", "false", '""', "null", "[]", '"text"']) {
                assert.deepEqual(parseStartArgs(["--input", text]).input, JSON.parse(text), text);
                assert.deepEqual(parseExecutionArgs(["--input", text]).input, JSON.parse(text), text);
            }
        });

        it("refuses an input over Step Functions' 256 KiB, counted in UTF-8 bytes of the JSON sent, naming the flag and both sizes", async () => {
            const sized = (bytes: number, char = "x") => JSON.stringify(char.repeat((bytes - 2) / Buffer.byteLength(char)));
            assert.equal(Buffer.byteLength(sized(MAX_INPUT_BYTES)), MAX_INPUT_BYTES);
            assert.equal(parseStartArgs(["--input", sized(MAX_INPUT_BYTES)]).input, JSON.parse(sized(MAX_INPUT_BYTES)));
            // Whitespace outside strings is not sent: a pretty-printed input is measured as it is sent.
            assert.ok(parseExecutionArgs(["--input", `  ${sized(MAX_INPUT_BYTES)}  `]));
            for (const [flags, text] of [
                [["--input"], sized(MAX_INPUT_BYTES + 2)],
                [["--input"], sized(MAX_INPUT_BYTES + 2, "é")], // half as many characters, as many bytes
            ] as const) {
                for (const parse of [parseStartArgs, parseExecutionArgs]) {
                    assert.throws(
                        () => parse([...flags, text]),
                        (e: Error) =>
                            e instanceof ExecutionInputError &&
                            e.message ===
                                `--input is ${MAX_INPUT_BYTES + 2} bytes as JSON (UTF-8); Step Functions takes an execution input of at most ${MAX_INPUT_BYTES} bytes (256 KiB)`,
                    );
                }
            }
            const file = path.join(os.tmpdir(), `large-input-${process.pid}.json`);
            fs.writeFileSync(file, sized(MAX_INPUT_BYTES + 2));
            try {
                await assert.rejects(
                    readStartInput(parseStartArgs(["--input-file", file])),
                    new RegExp(`^ExecutionInputError: --input-file ${file} is`),
                );
            } finally {
                fs.rmSync(file);
            }
        });

        it("refuses an input nested deeper than the commands can handle, saying the limit is theirs, not AWS's", () => {
            const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
            assert.equal(jsonDepth(nested(MAX_INPUT_DEPTH)), MAX_INPUT_DEPTH);
            assert.equal(jsonDepth('{"a": "[[[{{{", "b": [1, {"c": "\\"}]}'), 3, "brackets in strings do not count");
            assert.equal(jsonDepth("0"), 0);
            assert.equal((parseStartArgs(["--input", nested(MAX_INPUT_DEPTH)]).input as unknown[]).length, 1);
            for (const parse of [parseStartArgs, parseExecutionArgs]) {
                assert.throws(
                    () => parse(["--input", nested(MAX_INPUT_DEPTH + 1)]),
                    (e: Error) =>
                        e instanceof ExecutionInputError &&
                        e.message.startsWith(
                            `--input is nested ${MAX_INPUT_DEPTH + 1} levels deep; these commands take at most ${MAX_INPUT_DEPTH} (their limit, not AWS's`,
                        ),
                );
            }
        });

        it("refuses a Node.js older than 22, naming both versions", () => {
            assert.throws(() => checkNodeVersion("20.20.2"), /Node\.js 22 or later is needed; this is Node\.js 20\.20\.2/);
            checkNodeVersion("22.0.0");
            checkNodeVersion("24.1.0");
        });
    });
});
