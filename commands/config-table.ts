/**
 * `npx ts-node --transpile-only commands/config-table.ts`: rewrites the README's configuration
 * table from the keys' declaration (`infra/config-keys.ts`). Run it after changing a key's
 * default, range or description; tests/config.test.ts fails while the README's table is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { withConfigTable } from "../infra/config-table";

const readme = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readme, "utf8");
const after = withConfigTable(before);
if (after === before) {
    console.log(`${readme}: the configuration table is current`);
} else {
    fs.writeFileSync(readme, after);
    console.log(`${readme}: configuration table rewritten from infra/config-keys.ts`);
}
