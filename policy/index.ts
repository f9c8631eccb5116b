/** The policy pack: `pulumi preview --policy-pack policy` (see README, "Policy as code"). */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack";

new PolicyPack("callback-pattern", { enforcementLevel: "mandatory", policies });
