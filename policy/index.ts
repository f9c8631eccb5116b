/** The policy pack: `pulumi preview --policy-pack policy` (see docs/policy-pack.md). */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack";

new PolicyPack("callback-pattern", { enforcementLevel: "mandatory", policies });
