/**
 * The settings as resource inputs. A value set with `pulumi config set --secret` must reach every
 * resource as a Pulumi secret, so that the state file and the preview hold it encrypted: each
 * setting whose key was set as a secret is wrapped with `pulumi.secret`, and whatever a component
 * computes from it (with `apply`) stays secret.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CallbackPatternSettings } from "./config";

/** Every setting as a Pulumi input; optional settings stay optional. */
export type SettingInputs = { [K in keyof CallbackPatternSettings]: pulumi.Input<NonNullable<CallbackPatternSettings[K]>> };

/**
 * A transformation for the resources of a stack whose `tags` are a secret: the AWS provider copies
 * `tags` into the `tagsAll` output and does not keep that output secret (pulumi-aws#3471), so the
 * state file would hold the tags in plain text. Marking `tagsAll` secret keeps them encrypted there.
 */
export const keepTagsAllSecret: pulumi.ResourceTransformation = (args) =>
    args.props.tags === undefined
        ? undefined
        : {
              props: args.props,
              opts: pulumi.mergeOptions(args.opts, { additionalSecretOutputs: ["tagsAll"] }),
          };

/** The settings with each one whose key is in `secretKeys` made a Pulumi secret. */
export function settingInputs(settings: CallbackPatternSettings, secretKeys: ReadonlySet<string>): SettingInputs {
    const inputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(settings)) {
        if (value === undefined) continue;
        inputs[key] = secretKeys.has(key) ? pulumi.secret(value) : value;
    }
    return inputs as SettingInputs;
}
