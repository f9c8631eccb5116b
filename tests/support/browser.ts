/**
 * The browser the page tests drive: Debian's Chromium (`apt-get install chromium`; `.ci/run`
 * installs it), or another Chromium-based one named by CHROMIUM_PATH (GitHub's Ubuntu runners carry
 * Google Chrome, not Debian's package). playwright-core drives it and downloads no browser.
 */
export const CHROMIUM_PATH_VARIABLE = "CHROMIUM_PATH";

/** Where the browser is. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
    return env[CHROMIUM_PATH_VARIABLE] ?? "/usr/bin/chromium";
}

/** How the browser is started: no sandbox (root in CI), no GPU, no calls home. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
