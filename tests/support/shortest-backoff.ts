/**
 * The AWS SDK's retries without their waits, for tests that assert what the retries do (the
 * attempts made, the outcome) and not how long they wait.
 */

/**
 * Runs `body` with `Math.random` pinned to 0, so that the SDK's full-jitter backoff (a random
 * share of 1, 2, 4 and 8 s before the retries of a throttled call, of 50 ms to 400 ms after
 * another retryable error: `@smithy/core`'s `computeNextBackoffDelay`) waits nothing and the
 * attempts run back to back. A bundle loaded in this process (`loadBundledHandler`) shares its
 * `Math`. Restored when `body` settles; `body` must be the only thing running meanwhile (mocha
 * runs one test of a file at a time).
 */
export async function withShortestBackoff<T>(body: () => Promise<T>): Promise<T> {
    const random = Math.random;
    Math.random = () => 0;
    try {
        return await body();
    } finally {
        Math.random = random;
    }
}
