/**
 * The deploy and preview roles' policies (infra/deploy-policy.ts) against what the program
 * registers and invokes under the Pulumi mocks, and `npm run deploy-policy` as a process.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    COMPONENT_NAME,
    DEPLOY_PERMISSIONS,
    deployPolicy,
    inRole,
    policySize,
    PROJECT_TAG,
    ROLE_INLINE_POLICY_LIMIT,
    type DeployScope,
    type TypePermissions,
} from "../infra/deploy-policy";
import type { PolicyDocument, PolicyStatement } from "../infra/iam-documents";
import { CliError } from "../commands/cli";
import { parseDeployPolicyArgs } from "../commands/deploy-policy-args";
import { ACCOUNT_ID, PARTITION, PROJECT, REGION, runProgram, type MockRecorder, type RegisteredResource } from "./mocks";
import { STACK_TRACE_LINE, runInProcess, runTypeScript } from "./support/processes";

const SCOPE: DeployScope = { accountId: ACCOUNT_ID, region: REGION, partition: PARTITION, project: PROJECT };

/** The tag actions of each tagged type (what tags on create, on update, and reads them back). */
const TAG_ACTIONS: Record<string, { write: string[]; read: string }> = {
    "aws:sqs/queue:Queue": { write: ["sqs:TagQueue", "sqs:UntagQueue"], read: "sqs:ListQueueTags" },
    "aws:sns/topic:Topic": { write: ["sns:TagResource", "sns:UntagResource"], read: "sns:ListTagsForResource" },
    "aws:kms/key:Key": { write: ["kms:TagResource", "kms:UntagResource"], read: "kms:ListResourceTags" },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        write: ["cloudwatch:TagResource", "cloudwatch:UntagResource"],
        read: "cloudwatch:ListTagsForResource",
    },
    "aws:iam/role:Role": { write: ["iam:TagRole", "iam:UntagRole"], read: "iam:ListRoleTags" },
    "aws:cloudwatch/logGroup:LogGroup": { write: ["logs:TagResource", "logs:UntagResource"], read: "logs:ListTagsForResource" },
    "aws:sfn/stateMachine:StateMachine": { write: ["states:TagResource", "states:UntagResource"], read: "states:ListTagsForResource" },
    "aws:lambda/function:Function": { write: ["lambda:TagResource", "lambda:UntagResource"], read: "lambda:ListTags" },
    "aws:lambda/eventSourceMapping:EventSourceMapping": { write: ["lambda:TagResource", "lambda:UntagResource"], read: "lambda:ListTags" },
};

/**
 * The only actions granted on every resource (`*`), each because AWS authorizes it against no
 * resource (see the table's sources). A new one must be added here on purpose.
 */
const UNSCOPED_ACTIONS = [
    "kms:CreateKey",
    "lambda:CreateEventSourceMapping",
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "sns:Unsubscribe",
    "states:ValidateStateMachineDefinition",
];

/** IAM's `ArnLike`/resource matching: `*` any run of characters, `?` one. */
function arnLike(pattern: string, arn: string): boolean {
    const regex = pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${regex}$`).test(arn);
}

/** Types the program uses that have no entry in `table`, and entries for types it does not use. */
function compare(used: string[], table: Record<string, TypePermissions>): { missing: string[]; stale: string[] } {
    return {
        missing: used.filter((type) => table[type] === undefined),
        stale: Object.keys(table).filter((type) => !used.includes(type)),
    };
}

const actionsOf = (document: PolicyDocument) => document.Statement.flatMap((s) => s.Action);
const statementsWith = (document: PolicyDocument, action: string) => document.Statement.filter((s) => s.Action.includes(action));

describe("deploy policy (infra/deploy-policy.ts)", () => {
    let stack: MockRecorder;
    let awsResources: RegisteredResource[];
    let used: string[];
    const deploy = deployPolicy(SCOPE, "deploy");
    const preview = deployPolicy(SCOPE, "preview");

    before(async () => {
        // Both optional email subscriptions, so that every type the program can register shows up.
        ({ recorder: stack } = await runProgram({ notificationEmail: "ops@example.com", alarmEmail: "oncall@example.com" }));
        awsResources = stack.resources.filter((r) => r.type.startsWith("aws:"));
        used = [...new Set([...awsResources.map((r) => r.type), ...stack.invokes])].sort();
    });

    it("has an entry for every AWS resource type the program registers and every invoke it makes, and none other", () => {
        assert.ok(used.includes("aws:sfn/stateMachine:StateMachine") && used.includes("aws:index/getRegion:getRegion"), used.join());
        assert.deepEqual(compare(used, DEPLOY_PERMISSIONS), { missing: [], stale: [] });
    });

    it("reports a type whose entry was dropped, and an entry the program no longer needs", () => {
        const { "aws:sqs/queue:Queue": _dropped, ...withoutQueue } = DEPLOY_PERMISSIONS;
        assert.deepEqual(compare(used, withoutQueue).missing, ["aws:sqs/queue:Queue"]);
        const withExtra = { ...DEPLOY_PERMISSIONS, "aws:s3/bucket:Bucket": { source: "knowledge", grants: [] } };
        assert.deepEqual(compare(used, withExtra).stale, ["aws:s3/bucket:Bucket"]);
    });

    it("says where each entry's action list comes from", () => {
        for (const [type, entry] of Object.entries(DEPLOY_PERMISSIONS)) {
            assert.match(entry.source, /^(provider source|knowledge)\b/, type);
        }
    });

    it("grants no `*` action and no `service:*` action, and `*` resources only to actions that take none", () => {
        for (const document of [deploy, preview]) {
            for (const action of actionsOf(document)) assert.match(action, /^[a-z0-9-]+:[A-Za-z]+$/, action);
        }
        const unscoped = deploy.Statement.filter((s) => s.Resource?.includes("*")).flatMap((s) => s.Action);
        assert.deepEqual([...new Set(unscoped)].sort(), UNSCOPED_ACTIONS);
    });

    it("scopes every other resource to this partition, account and region (IAM: no region)", () => {
        for (const statement of deploy.Statement) {
            for (const resource of statement.Resource ?? []) {
                if (resource === "*") continue;
                const iam = resource.startsWith(`arn:${PARTITION}:iam::`);
                const prefix = iam
                    ? `arn:${PARTITION}:iam::${ACCOUNT_ID}:`
                    : new RegExp(`^arn:${PARTITION}:[a-z]+:${REGION}:${ACCOUNT_ID}:`);
                if (typeof prefix === "string") assert.ok(resource.startsWith(prefix), `${statement.Sid}: ${resource}`);
                else assert.match(resource, prefix, statement.Sid);
            }
        }
    });

    it("covers each resource the program registers with its own entry's ARN patterns", () => {
        for (const resource of awsResources) {
            const arn = resource.state.arn;
            if (typeof arn !== "string") continue;
            const patterns = DEPLOY_PERMISSIONS[resource.type].grants
                .filter((g) => g.access === "write")
                .flatMap((g) => g.resources(SCOPE));
            assert.ok(
                patterns.some((p) => p !== "*" && arnLike(p, arn)),
                `${resource.type} ${resource.name}: ${arn} is outside ${patterns.join(", ")}`,
            );
        }
        // The names the patterns rely on: every physical name starts with the component's name.
        assert.ok(
            awsResources.every((r) => r.name.startsWith(`${COMPONENT_NAME}-`)),
            awsResources.map((r) => r.name).join(),
        );
    });

    it("gives every tagged resource type its service's tag actions: tagging in the deploy role, reading tags in both", () => {
        const tagged = [...new Set(awsResources.filter((r) => r.inputs.tags !== undefined).map((r) => r.type))];
        assert.ok(tagged.length >= 9, tagged.join());
        for (const type of tagged) {
            const tags = TAG_ACTIONS[type];
            assert.ok(tags !== undefined, `no tag actions known for ${type}: add them to TAG_ACTIONS`);
            const grants = DEPLOY_PERMISSIONS[type].grants;
            for (const action of tags.write)
                assert.ok(
                    grants.some((g) => g.actions.includes(action)),
                    `${type}: ${action}`,
                );
            assert.ok(
                grants.some((g) => g.access === "read" && g.actions.includes(tags.read)),
                `${type}: ${tags.read}`,
            );
        }
    });

    it("scopes the KMS key by the pulumi:project tag that the program puts on it", () => {
        const key = stack.named("callback-alarms-key", "aws:kms/key:Key");
        assert.equal((key.inputs.tags as Record<string, string>)[PROJECT_TAG], SCOPE.project);
        for (const statement of deploy.Statement.filter((s) => s.Action.some((a) => a.startsWith("kms:")))) {
            const writes = statement.Action.some((a) => !/^kms:(Describe|Get|List)/.test(a));
            if (!writes) continue;
            const condition = JSON.stringify(statement.Condition ?? {});
            assert.match(condition, new RegExp(`"aws:(Resource|Request)Tag/${PROJECT_TAG}":"${SCOPE.project}"`), statement.Sid);
        }
    });

    it("passes the two roles only, each to the service that trusts it", () => {
        const passes = statementsWith(deploy, "iam:PassRole");
        assert.equal(passes.length, 2);
        const roles = stack.ofType("aws:iam/role:Role");
        assert.equal(roles.length, 2);
        const passedTo = (s: PolicyStatement) => s.Condition?.StringEquals?.["iam:PassedToService"];
        assert.deepEqual(passes.map(passedTo).sort(), ["lambda.amazonaws.com", "states.amazonaws.com"]);
        for (const statement of passes) {
            assert.deepEqual(statement.Action, ["iam:PassRole"]);
            // Each pattern names exactly one of the stack's roles, and that role trusts the service.
            const matching = roles.filter((role) => statement.Resource!.some((p) => arnLike(p, String(role.state.arn))));
            assert.equal(matching.length, 1, `${statement.Sid}: ${statement.Resource!.join()}`);
            const trust = JSON.parse(String(matching[0].inputs.assumeRolePolicy)) as PolicyDocument;
            assert.deepEqual(trust.Statement[0].Principal, { Service: passedTo(statement) });
        }
        assert.deepEqual(statementsWith(preview, "iam:PassRole"), []);
    });

    it("lets the preview role read and validate the definition, and change nothing", () => {
        const actions = actionsOf(preview);
        assert.ok(actions.includes("states:ValidateStateMachineDefinition"));
        assert.ok(actions.includes("states:ListStateMachineVersions"));
        for (const action of actions) {
            assert.doesNotMatch(
                action,
                /:(Create|Delete|Put|Update|Set|Tag|Untag|Pass|Schedule|Enable|Disable|Subscribe|Unsubscribe)/,
                action,
            );
        }
        // Every read of the deploy role is the preview role's too, with the same statement id.
        const readSids = Object.values(DEPLOY_PERMISSIONS).flatMap((e) => e.grants.filter((g) => inRole("preview", g))).length;
        assert.equal(preview.Statement.length, readSids);
        for (const statement of preview.Statement)
            assert.deepEqual(
                deploy.Statement.find((s) => s.Sid === statement.Sid),
                statement,
            );
    });

    it("with a permissions boundary, creates roles and writes their inline policies only with it", () => {
        const boundary = "arn:aws:iam::123456789012:policy/deploy-boundary";
        const bounded = deployPolicy({ ...SCOPE, permissionsBoundaryArn: boundary });
        const guarded = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"];
        for (const action of guarded) {
            const statements = statementsWith(bounded, action);
            assert.equal(statements.length, 1, action);
            assert.deepEqual(statements[0].Condition, { StringEquals: { "iam:PermissionsBoundary": boundary } }, action);
        }
        // No other IAM write action could set or drop a boundary, or attach a policy.
        for (const action of ["iam:DeleteRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:CreatePolicyVersion"]) {
            assert.deepEqual(statementsWith(bounded, action), [], action);
        }
        // Without a boundary: no condition, and no PutRolePermissionsBoundary at all.
        assert.equal(statementsWith(deploy, "iam:CreateRole")[0].Condition, undefined);
        assert.deepEqual(statementsWith(deploy, "iam:PutRolePermissionsBoundary"), []);
        // The preview role is the same either way: it changes nothing.
        assert.deepEqual(deployPolicy({ ...SCOPE, permissionsBoundaryArn: boundary }, "preview"), preview);
    });

    it("has unique statement ids and fits a role's inline policies (10,240 characters without whitespace), even for long names", () => {
        assert.equal(new Set(deploy.Statement.map((s) => s.Sid)).size, deploy.Statement.length);
        const long: DeployScope = { accountId: ACCOUNT_ID, region: "us-isob-east-1", partition: "aws-iso-b", project: "p".repeat(100) };
        for (const role of ["deploy", "preview"] as const) {
            const size = policySize(deployPolicy(long, role));
            assert.ok(size <= ROLE_INLINE_POLICY_LIMIT, `${role}: ${size} characters`);
        }
        assert.equal(policySize(deploy), JSON.stringify(deploy).replace(/\s/g, "").length);
    });
});

describe("docs/permissions.md, Deploying identity", () => {
    const pipeline = fs.readFileSync(path.join(__dirname, "..", "docs", "pipeline.md"), "utf8");
    const permissions = fs.readFileSync(path.join(__dirname, "..", "docs", "permissions.md"), "utf8");
    const section = permissions.slice(permissions.indexOf("## Deploying identity"));

    it("lists every type of the table and shows the command", () => {
        assert.ok(permissions.includes("## Deploying identity"));
        for (const type of Object.keys(DEPLOY_PERMISSIONS)) {
            // Invokes (a function name in lower camel case) are listed without it (`aws:index/getRegion`).
            const listed = /:[a-z]\w*$/.test(type) ? type.replace(/:[^:]+$/, "") : type;
            assert.ok(section.includes(`\`${listed}\``), `${listed} is not in docs/permissions.md`);
        }
        assert.match(section, /npm run --silent deploy-policy -- --account-id \d{12} --region [a-z0-9-]+ --role preview/);
        assert.match(pipeline, /--policy-document "\$\(npm run --silent deploy-policy -- --account-id \$account --region \$region\)"/);
    });
});

describe("npm run deploy-policy", () => {
    /** In this process: what it prints for given flags. */
    const run = (args: string[]) => runInProcess("commands/deploy-policy.ts", args);

    it("prints the deploy role's policy as JSON, the project taken from Pulumi.yaml", async () => {
        const { code, stdout, stderr } = await run(["--account-id", "210987654321", "--region", "us-gov-west-1"]);
        assert.equal(code, 0, stderr);
        const document = JSON.parse(stdout) as PolicyDocument;
        assert.deepEqual(
            document,
            deployPolicy({ accountId: "210987654321", region: "us-gov-west-1", partition: "aws-us-gov", project: PROJECT }),
        );
        assert.match(stdout, /arn:aws-us-gov:sqs:us-gov-west-1:210987654321:callback-\*/);
    });

    it("prints the preview role's policy with --role preview, and the usage with --help", async () => {
        const boundary = "arn:aws:iam::123456789012:policy/deploy-boundary";
        const [previewRun, help, bounded] = await Promise.all([
            run(["--account-id", ACCOUNT_ID, "--region", REGION, "--role", "preview", "--project", "other"]),
            run(["--help"]),
            run(["--account-id", ACCOUNT_ID, "--region", REGION, "--permissions-boundary", boundary]),
        ]);
        assert.equal(previewRun.code, 0, previewRun.stderr);
        assert.deepEqual(JSON.parse(previewRun.stdout), deployPolicy({ ...SCOPE, project: "other" }, "preview"));
        assert.equal(help.code, 0);
        assert.match(help.stdout, /^Usage: npm run --silent deploy-policy -- --account-id ID --region REGION/);
        assert.equal(bounded.code, 0, bounded.stderr);
        assert.deepEqual(JSON.parse(bounded.stdout), deployPolicy({ ...SCOPE, permissionsBoundaryArn: boundary }));
    });

    // Which flag is wrong and why is the parser's to say (commands/deploy-policy-args.ts), checked in
    // this process; what the command adds (exit 2, the hint, no trace) is checked on one refusal of
    // the command's own and one of parseArgs', the first in a process of its own.
    it("names the bad flag: each refusal a usage error that says what was wrong", () => {
        const cases: [string[], RegExp][] = [
            [["--region", REGION], /^--account-id is required/],
            [["--account-id", ACCOUNT_ID], /^--region is required/],
            [["--account-id", "12345", "--region", REGION], /^--account-id must be 12 digits; got "12345"/],
            [["--account-id", ACCOUNT_ID, "--region", "Ireland"], /^--region "Ireland" is not a region name/],
            [["--account-id", ACCOUNT_ID, "--region", REGION, "--partition", "azure"], /^--partition "azure" is not a partition/],
            [
                ["--account-id", ACCOUNT_ID, "--region", "cn-north-1", "--partition", "aws"],
                /^--partition aws does not hold --region cn-north-1/,
            ],
            [["--account-id", ACCOUNT_ID, "--region", REGION, "--role", "admin"], /^--role must be one of deploy, preview; got "admin"/],
            [["--account-id", ACCOUNT_ID, "--region", REGION, "--verbose"], /^Unknown option '--verbose'/],
            [
                ["--account-id", ACCOUNT_ID, "--region", REGION, "--permissions-boundary", "arn:aws:iam::123456789012:role/x"],
                /^--permissions-boundary "arn:aws:iam::123456789012:role\/x" is not the ARN of an IAM managed policy/,
            ],
        ];
        for (const [args, message] of cases)
            assert.throws(
                () => parseDeployPolicyArgs(args),
                (error: unknown) => error instanceof CliError && message.test(error.message),
                args.join(" "),
            );
    });

    it("exits 2 on a bad flag, with the message and a hint at --help, without a stack trace", async () => {
        const refusals = [
            ["--region", REGION],
            ["--account-id", ACCOUNT_ID, "--region", REGION, "--verbose"],
        ];
        // A process for the first: only a process shows the exit code and streams as the shell sees them.
        const results = await Promise.all(
            refusals.map((args, i) => (i === 0 ? runTypeScript("commands/deploy-policy.ts", args) : run(args))),
        );
        results.forEach(({ code, stdout, stderr }, i) => {
            const args = refusals[i];
            let message = "";
            assert.throws(
                () => parseDeployPolicyArgs(args),
                (error: unknown) => ((message = (error as Error).message), true),
            );
            assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
            assert.equal(stdout, "");
            assert.equal(stderr, `error: ${message}\nRun \`npm run deploy-policy -- --help\` for the options.\n`);
            assert.doesNotMatch(stderr, STACK_TRACE_LINE);
        });
    });
});
