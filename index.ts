/**
 * The callback-pattern stack: reads and validates this stack's config, builds the components, and
 * exports the outputs other projects read with StackReference (a public contract: see README).
 */
import * as pulumi from "@pulumi/pulumi";
import { CallbackPattern } from "./infra/callback-pattern";
import { ConfigError, parseSettings, settingsWarnings } from "./infra/config";
import { COMPONENT_NAME } from "./infra/deploy-policy";
import { keepTagsAllSecret, settingInputs } from "./infra/setting-inputs";

const project = pulumi.getProject();
const stack = pulumi.getStack();

// Which config values were set as secrets: the SDK's own test (the language host passes the secret
// keys to the program), which its public API does not export. Should it ever go, every value is
// treated as a secret: nothing leaks, previews show less, and a warning says why.
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
const isConfigSecret = typeof runtime.isConfigSecret === "function" ? runtime.isConfigSecret : undefined;
if (isConfigSecret === undefined) {
    void pulumi.log.warn(
        "This @pulumi/pulumi cannot tell which config values are secrets (pulumi.runtime.isConfigSecret is gone): every setting is treated as a secret.",
    );
}

/** Every value set under this project's namespace, keyed without the namespace, and the keys set as secrets. */
function projectConfig(): { raw: Record<string, string>; secretKeys: Set<string> } {
    const prefix = `${project}:`;
    const raw = Object.fromEntries(
        Object.entries(pulumi.runtime.allConfig())
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
    // A map with one secret value inside (`pulumi config set --secret --path tags.team …`) is a secret as a whole.
    return { raw, secretKeys: new Set(Object.keys(raw).filter((key) => isConfigSecret?.(`${prefix}${key}`) ?? true)) };
}

function loadSettings() {
    const { raw, secretKeys } = projectConfig();
    try {
        return { settings: parseSettings(project, raw, secretKeys), secretKeys };
    } catch (error) {
        // RunError: Pulumi prints the message alone, without a stack trace of this program.
        if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
        throw error;
    }
}

const { settings, secretKeys } = loadSettings();
for (const warning of settingsWarnings(project, settings, secretKeys)) pulumi.log.warn(warning);

// The deploy policy is scoped to the names that start with COMPONENT_NAME (infra/deploy-policy.ts).
const pattern = new CallbackPattern(
    COMPONENT_NAME,
    {
        ...settingInputs(
            // The stack's own tags come last: a user tag cannot hide which stack owns a resource.
            { ...settings, tags: { ...settings.tags, "pulumi:project": project, "pulumi:stack": stack } },
            secretKeys,
        ),
        stackName: stack,
    },
    { transformations: secretKeys.has("tags") ? [keepTagsAllSecret] : [] },
);

// The stack outputs are the module's exports: exactly the component's outputs, declared once in
// infra/stack-outputs.ts (`export =` makes the object itself the module, which the Pulumi language
// host reads as the stack's outputs: the same names and values the named exports had, and a
// secret output stays one).
export = pattern.outputs;
