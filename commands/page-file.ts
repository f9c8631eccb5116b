/**
 * The `--html FILE` flag of `npm start` and `npm run execution`: the path is checked before the
 * run (a typo is not found after a ten-minute wait), and the page is written whole: to a
 * temporary name in the same folder, then renamed, so that a reader (a browser reloading it, a CI
 * artefact upload) never sees half a page and a failed write leaves the old page as it was.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { CliError, fromInvocationDir } from "./cli";

/** Why a path that exists but is neither a file nor a folder (a device, a FIFO, a socket) is refused. */
export const NOT_A_FILE = "is not a regular file (a device, a FIFO or a socket); give the name of a page to write";

/** Links followed at most (the kernel's own limit), so that a loop of links ends. */
const MAX_LINKS = 40;

/**
 * Where the page goes: the path resolved, its links followed (a link to a page someone serves
 * keeps pointing at the new page, as when an editor saves through it; a dangling link to where
 * it points). A path that exists and is not a regular file or a folder is refused: the page is
 * renamed into place, and a rename over `/dev/null` (run as root) would replace the device.
 */
function pageTarget(file: string): string {
    let target = fromInvocationDir(file);
    for (let links = 0; ; links++) {
        let stat: fs.Stats | undefined;
        try {
            stat = fs.lstatSync(target, { throwIfNoEntry: false });
        } catch {
            return target; // its folder is not one (ENOTDIR), or cannot be read: the checks of the folder say which
        }
        if (stat === undefined || stat.isFile() || stat.isDirectory()) return target;
        if (!stat.isSymbolicLink()) throw new CliError(`--html ${file}: ${NOT_A_FILE}`);
        if (links === MAX_LINKS) throw new CliError(`--html ${file}: more than ${MAX_LINKS} links (a loop?)`);
        target = path.resolve(path.dirname(target), fs.readlinkSync(target));
    }
}

/**
 * Checks the `--html` path: its folder exists and can be written to, and the path is not a
 * folder or anything else that is not a file (links are followed). Returns where the page will
 * be written; throws a {@link CliError} (exit code 2) that names the problem.
 */
export function checkHtmlPath(file: string): string {
    if (file.trim() === "") throw new CliError("--html needs a file name");
    const resolved = pageTarget(file);
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
 * Writes the page whole: a temporary file beside it (beside the target of a link), then a rename
 * over it (atomic within one folder). A failure to write removes the temporary file and is an
 * `Error` naming the path and the reason (exit code 1: the run failed, not the flag).
 */
export function writePageFile(file: string, html: string): void {
    // Checked again: what was a file at the start of a long run may not be one at its end.
    const resolved = pageTarget(file);
    // A short name of its own: the page's name and a suffix could pass the 255 bytes a folder takes.
    const temporary = path.join(path.dirname(resolved), `.page-${process.pid}-${randomBytes(6).toString("hex")}.html.tmp`);
    try {
        fs.writeFileSync(temporary, html, { encoding: "utf8", flag: "wx" });
        fs.renameSync(temporary, resolved);
    } catch (error) {
        try {
            fs.rmSync(temporary, { force: true });
        } catch {
            // Nothing to remove, or it cannot be: the reason to report is the write's.
        }
        // Not a CliError: the path passed its check before the run, so this is the run failing (exit 1).
        throw new Error(`cannot write --html ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
            cause: error,
        });
    }
}
