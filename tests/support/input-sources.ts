/** Input sources for the commands' reader (commands/input-file.ts) in tests: a given standard input, files from the disk. */
import type { Readable } from "node:stream";
import { openInputFile, type InputSources } from "../../commands/input-file";

/** `stdin` as standard input (with `isTTY` for a terminal), files from the disk; notices kept in `notices`. */
export function inputSources(stdin: Readable & { isTTY?: boolean }, notices: string[] = []): InputSources {
    return { stdin, openFile: openInputFile, notice: (message) => notices.push(message) };
}
