/** The GitHub Actions pipeline: its triggers, permissions and steps, read from the workflow file. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CHROMIUM_PATH_VARIABLE } from "./support/browser";

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    if?: string;
    needs?: string | string[];
    permissions?: Record<string, string>;
    environment?: string;
    env?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    steps: Step[];
}
interface Workflow {
    on: Record<string, { branches?: string[] }>;
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
}

const DIR = path.join(__dirname, "..", ".github", "workflows");
const FILE = path.join(DIR, "stack.yml");
const workflow = parse(fs.readFileSync(FILE, "utf8")) as Workflow;
const runs = (job: Job) => job.steps.filter((s) => s.run !== undefined).map((s) => s.run);
const step = (job: Job, action: string) => job.steps.find((s) => s.uses?.split("@")[0] === action);

describe("pull-request pipeline (.github/workflows)", () => {
    it("is one workflow, run on pull requests to main and on pushes to main", () => {
        assert.deepEqual(fs.readdirSync(DIR), ["stack.yml"]);
        assert.deepEqual(workflow.on, { pull_request: { branches: ["main"] }, push: { branches: ["main"] } });
    });

    it("grants read-only access by default; OIDC and PR comments only to the jobs that need them", () => {
        assert.deepEqual(workflow.permissions, { contents: "read" });
        assert.equal(workflow.jobs.checks.permissions, undefined);
        assert.deepEqual(workflow.jobs.preview.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
        assert.deepEqual(workflow.jobs.up.permissions, { contents: "read", "id-token": "write" });
    });

    it("checks every change: install, lint, type-check, test", () => {
        const checks = workflow.jobs.checks;
        assert.equal(checks.if, undefined);
        assert.deepEqual(runs(checks), ["npm ci", "npm run lint", "npm run typecheck", "npm test"]);
        assert.equal(step(checks, "actions/setup-node")?.with?.["node-version-file"], ".nvmrc");
        // The page test's browser: the runner's Chrome (no Debian chromium on GitHub's Ubuntu images).
        const test = checks.steps.find((s) => s.run === "npm test");
        assert.equal(test?.env?.[CHROMIUM_PATH_VARIABLE], "/usr/bin/google-chrome");
    });

    for (const [job, command, trigger] of [
        ["preview", "preview", "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository"],
        ["up", "up", "github.event_name == 'push' && github.ref == 'refs/heads/main'"],
    ] as const) {
        it(`${job}: runs \`pulumi ${command}\` of the dev stack with the policy pack, after the checks, on ${job === "up" ? "pushes to main" : "pull requests"}`, () => {
            const j = workflow.jobs[job];
            assert.equal(j.if, trigger);
            assert.equal(j.needs, "checks");
            assert.deepEqual(runs(j), ["npm ci"]);
            const pulumi = step(j, "pulumi/actions");
            assert.equal(pulumi?.uses, "pulumi/actions@v6");
            assert.equal(pulumi?.with?.command, command);
            assert.equal(pulumi?.with?.["stack-name"], "${{ vars.PULUMI_ORG }}/dev");
            assert.equal(pulumi?.with?.policyPacks, "policy");
            assert.equal(j.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
            // Credentials through OIDC: a role to assume, no access keys.
            const aws = step(j, "aws-actions/configure-aws-credentials");
            assert.deepEqual(Object.keys(aws?.with ?? {}).sort(), ["aws-region", "role-to-assume"]);
            // Previews run as a read-only role; only the deployment (environment "dev") may change AWS.
            assert.equal(
                aws?.with?.["role-to-assume"],
                job === "up" ? "${{ vars.AWS_DEPLOY_ROLE_ARN }}" : "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
            );
            assert.ok(j.steps.indexOf(aws!) < j.steps.indexOf(pulumi!), "credentials before Pulumi");
        });
    }

    it("comments the preview on the pull request; deploys one at a time, never cancelling a deployment", () => {
        assert.equal(step(workflow.jobs.preview, "pulumi/actions")?.with?.["comment-on-pr"], true);
        assert.deepEqual(workflow.jobs.up.concurrency, { group: "up-dev", "cancel-in-progress": false });
        assert.equal(workflow.jobs.up.environment, "dev");
    });

    it("holds no long-lived AWS keys", () => {
        assert.doesNotMatch(
            fs.readFileSync(FILE, "utf8"),
            /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/i,
        );
    });
});
