/**
 * The `--html FILE` flag of `npm start` and `npm run execution`: the path is checked before the
 * run (a typo is not found after a ten-minute wait), and the page is written whole: to a
 * temporary name in the same folder, then renamed, so that a reader (a browser reloading it, a CI
 * artefact upload) never sees half a page and a failed write leaves the old page as it was.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { CliError } from "./cli";

/**
 * Checks the `--html` path: its folder exists and can be written to, and the path is not a
 * folder. Returns it resolved; throws a {@link CliError} (exit code 2) that names the problem.
 */
export function checkHtmlPath(file: string): string {
    if (file.trim() === "") throw new CliError("--html needs a file name");
    const resolved = path.resolve(file);
    const folder = path.dirname(resolved);
    let folderStat: fs.Stats;
    try {
        folderStat = fs.statSync(folder);
    } catch {
        throw new CliError(`--html ${file}: the folder ${folder} does not exist`);
    }
    if (!folderStat.isDirectory()) throw new CliError(`--html ${file}: ${folder} is not a folder`);
    try {
        fs.accessSync(folder, fs.constants.W_OK);
    } catch {
        throw new CliError(`--html ${file}: the folder ${folder} cannot be written to`);
    }
    if (fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory() === true)
        throw new CliError(`--html ${file} is a folder; give a file name (e.g. ${path.join(file, "execution.html")})`);
    return resolved;
}

/**
 * Writes the page whole: a temporary file beside it, then a rename over it (atomic within one
 * folder). A failure removes the temporary file and is a {@link CliError} naming the path and
 * the reason.
 */
export function writePageFile(file: string, html: string): void {
    const resolved = path.resolve(file);
    const temporary = path.join(path.dirname(resolved), `.${path.basename(resolved)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    try {
        fs.writeFileSync(temporary, html, { encoding: "utf8", flag: "wx" });
        fs.renameSync(temporary, resolved);
    } catch (error) {
        fs.rmSync(temporary, { force: true });
        throw new CliError(`cannot write --html ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
}
