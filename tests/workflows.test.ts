/**
 * The GitHub Actions pipeline, checked by its properties rather than its text: valid for GitHub
 * (action-validator: SchemaStore's workflow schema and job needs that resolve), its triggers,
 * least permissions, AWS credentials from OIDC only, no long-lived keys, actions pinned to
 * releases, the checks CI runs, and the policy pack on every preview and deployment.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { CHROMIUM_PATH_VARIABLE } from "./support/browser";

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
/** GitHub takes a permissions map, or `read-all` / `write-all`. */
type Permissions = Record<string, string> | string;
interface Job {
    if?: string;
    needs?: string | string[];
    permissions?: Permissions;
    environment?: string;
    env?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    steps: Step[];
}
interface Workflow {
    on: Record<string, { branches?: string[] } | null>;
    permissions?: Permissions;
    jobs: Record<string, Job>;
}

const ROOT = path.join(__dirname, "..");
const DIR = path.join(ROOT, ".github", "workflows");
const FILES = fs.readdirSync(DIR).filter((file) => /\.ya?ml$/.test(file));
const sources = Object.fromEntries(FILES.map((file) => [file, fs.readFileSync(path.join(DIR, file), "utf8")]));
const workflows = Object.fromEntries(Object.entries(sources).map(([file, source]) => [file, parse(source) as Workflow]));
const workflow = workflows["stack.yml"];

/** Every job of every workflow, named `file: job`. */
const allJobs = (): [string, Workflow, Job][] =>
    Object.entries(workflows).flatMap(([file, w]) =>
        Object.entries(w.jobs).map(([name, job]) => [`${file}: ${name}`, w, job] as [string, Workflow, Job]),
    );

const action = (step: Step) => step.uses?.split("@")[0];
const stepsOf = (job: Job, name: string) => job.steps.filter((s) => action(s) === name);
const runs = (steps: Step[]) => steps.flatMap((s) => (s.run === undefined ? [] : [s.run]));

const AWS_CREDENTIALS = "aws-actions/configure-aws-credentials";
const PULUMI = "pulumi/actions";

/**
 * The permissions a job runs with: its own, else the workflow's. Without either GitHub grants the
 * repository's default, which may be write to everything: it counts as `write-all`.
 */
function permissionsOf(w: Workflow, job: Job): Permissions {
    return job.permissions ?? w.permissions ?? "write-all";
}

/** The scopes a job may write. */
function writeScopes(permissions: Permissions): string[] {
    if (typeof permissions === "string") return permissions === "read-all" ? [] : ["*"];
    return Object.entries(permissions)
        .filter(([, access]) => access === "write")
        .map(([scope]) => scope)
        .sort();
}

/** The scopes a job's steps need to write: an OIDC token to assume an AWS role, pull requests to comment. */
function neededWriteScopes(job: Job): string[] {
    const needs = new Set<string>();
    if (stepsOf(job, AWS_CREDENTIALS).length > 0) needs.add("id-token");
    if (stepsOf(job, PULUMI).some((s) => s.with?.["comment-on-pr"] === true)) needs.add("pull-requests");
    return [...needs].sort();
}

/** Every key and string value of a parsed document, at any depth. */
function strings(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([key, v]) => [key, ...strings(v)]);
    return [];
}

/** The secrets a workflow reads (`secrets.NAME`, in any expression). */
function secretsRead(source: string): string[] {
    return [...new Set([...source.matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))].sort();
}

/** The npm commands `.ci/run` runs: what CI checks, which the pipeline's checks must run too. */
const CI_COMMANDS = fs
    .readFileSync(path.join(ROOT, ".ci", "run"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^npm /.test(line));

const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
    workspaces?: string[];
};

describe("pull-request pipeline (.github/workflows)", () => {
    it("is valid for GitHub Actions: SchemaStore's workflow schema, and every job it needs exists", () => {
        assert.ok(FILES.length > 0, "no workflow");
        for (const [file, source] of Object.entries(sources)) {
            assert.deepEqual(validateWorkflow(source).errors, [], file);
        }
    });

    it("runs on pull requests to main and on pushes to main, and on nothing that hands a fork's code the secrets", () => {
        for (const [file, w] of Object.entries(workflows)) {
            assert.equal("pull_request_target" in w.on, false, `${file} runs on pull_request_target`);
            assert.equal("workflow_run" in w.on, false, `${file} runs on workflow_run`);
        }
        assert.deepEqual(workflow.on, { pull_request: { branches: ["main"] }, push: { branches: ["main"] } });
    });

    it("grants each job write access to what its steps need and nothing else: id-token to assume an AWS role, pull-requests to comment", () => {
        for (const [file, w] of Object.entries(workflows))
            assert.deepEqual(writeScopes(w.permissions ?? "write-all"), [], `${file}'s default`);
        for (const [name, w, job] of allJobs()) {
            assert.deepEqual(writeScopes(permissionsOf(w, job)), neededWriteScopes(job), name);
        }
    });

    it("gets AWS credentials from OIDC only: each job that uses AWS assumes a role, given no keys", () => {
        const aws = allJobs().flatMap(([name, , job]) => stepsOf(job, AWS_CREDENTIALS).map((step) => [name, step] as const));
        assert.ok(aws.length > 0, "no job assumes an AWS role");
        for (const [name, step] of aws) {
            assert.deepEqual(Object.keys(step.with ?? {}).sort(), ["aws-region", "role-to-assume"], name);
            // A role that is not a variable would be a fixed account's; a secret would hide which.
            assert.match(String(step.with?.["role-to-assume"]), /^\$\{\{ vars\.[A-Z_]+ \}\}$/, name);
        }
    });

    it("holds no long-lived AWS keys, and reads no secret but Pulumi's token and GitHub's own", () => {
        const awsKeys =
            /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws-access-key-id|aws-secret-access-key|aws-session-token/i;
        for (const [file, w] of Object.entries(workflows)) {
            assert.deepEqual(
                strings(w).filter((s) => awsKeys.test(s)),
                [],
                file,
            );
            assert.deepEqual(
                secretsRead(sources[file]).filter((secret) => !["GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN"].includes(secret)),
                [],
                file,
            );
        }
    });

    it("pins every action to a release or a commit, never a branch", () => {
        for (const [name, , job] of allJobs()) {
            for (const step of job.steps.filter((s) => s.uses !== undefined)) {
                assert.match(step.uses!, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, name);
            }
        }
    });

    it("checks every change with CI's own commands, and type-checks, before any Pulumi job", () => {
        const checks = Object.entries(workflow.jobs).filter(([, job]) => stepsOf(job, PULUMI).length === 0);
        assert.equal(checks.length, 1, "one job of checks");
        const [checksName, checksJob] = checks[0];
        assert.equal(checksJob.if, undefined, "the checks run on every event");
        assert.ok(CI_COMMANDS.length > 0, ".ci/run runs no npm command");
        for (const command of [...CI_COMMANDS, "npm run typecheck"]) assert.ok(runs(checksJob.steps).includes(command), command);
        assert.ok(rootPackage.scripts.typecheck !== undefined, "package.json has no typecheck script");
        for (const [name, job] of Object.entries(workflow.jobs).filter(([, job]) => stepsOf(job, PULUMI).length > 0)) {
            assert.deepEqual([job.needs ?? []].flat(), [checksName], name);
        }
        assert.equal(stepsOf(checksJob, "actions/setup-node")[0]?.with?.["node-version-file"], ".nvmrc");
        // The page test's browser: the runner's Chrome (no Debian chromium on GitHub's Ubuntu images).
        const test = checksJob.steps.find((s) => s.run === "npm test");
        assert.equal(test?.env?.[CHROMIUM_PATH_VARIABLE], "/usr/bin/google-chrome");
    });

    for (const [command, trigger] of [
        // Pull requests from forks get no OIDC token and no secrets: they stop at the checks.
        ["preview", "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository"],
        ["up", "github.event_name == 'push' && github.ref == 'refs/heads/main'"],
    ] as const) {
        it(`runs \`pulumi ${command}\` of the dev stack with the policy pack, its dependencies installed, as an assumed role`, () => {
            const jobs = Object.entries(workflow.jobs).filter(([, job]) => stepsOf(job, PULUMI).some((s) => s.with?.command === command));
            assert.equal(jobs.length, 1, `one job runs pulumi ${command}`);
            const [name, job] = jobs[0];
            assert.equal(job.if, trigger, name);
            const [pulumi] = stepsOf(job, PULUMI);
            assert.equal(pulumi.with?.["stack-name"], "${{ vars.PULUMI_ORG }}/dev");
            // The pack is a directory holding a policy pack, its dependencies installed before Pulumi runs.
            const pack = String(pulumi.with?.policyPacks);
            assert.ok(fs.existsSync(path.join(ROOT, pack, "PulumiPolicy.yaml")), `${pack} is not a policy pack`);
            const before = runs(job.steps.slice(0, job.steps.indexOf(pulumi)));
            assert.ok(before.includes("npm ci"), "the program's dependencies");
            assert.ok(
                before.includes(`npm ci --prefix ${pack}`) || (rootPackage.workspaces ?? []).includes(pack),
                "the policy pack's dependencies",
            );
            assert.equal(job.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
            const [credentials] = stepsOf(job, AWS_CREDENTIALS);
            assert.ok(credentials !== undefined && job.steps.indexOf(credentials) < job.steps.indexOf(pulumi), "credentials before Pulumi");
        });
    }

    it("previews as the read-only role, deploys as the deploy role in the environment dev, one deployment at a time", () => {
        const { preview, up } = workflow.jobs;
        assert.equal(stepsOf(preview, AWS_CREDENTIALS)[0].with?.["role-to-assume"], "${{ vars.AWS_PREVIEW_ROLE_ARN }}");
        assert.equal(stepsOf(up, AWS_CREDENTIALS)[0].with?.["role-to-assume"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}");
        // The deploy role trusts only this environment's OIDC subject: no pull request can assume it.
        assert.equal(up.environment, "dev");
        assert.ok(up.concurrency?.group, "deployments share a concurrency group");
        assert.equal(up.concurrency["cancel-in-progress"], false, "a deployment is never cancelled half way");
        assert.equal(stepsOf(preview, PULUMI)[0].with?.["comment-on-pr"], true);
    });
});
