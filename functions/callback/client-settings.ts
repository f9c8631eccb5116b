/**
 * The numbers behind the callback function's Step Functions client (`sfn-client.ts`): timeouts,
 * retries, calls in flight, and what they add up to. Pure values with no import, so that the stack's
 * config checks (`infra/config.ts`) use the same figures as the function without loading the SDK.
 * Every value was chosen by measurement against the loopback endpoint
 * (`local/step-functions-endpoint.ts`) through the real SDK and the shipped bundle; `npm run bench`
 * repeats the measurements, and docs/benchmarks.md shows one run.
 */
import { deadlineMarginMs } from "./deadline";

/**
 * Time allowed to open a TCP connection, in ms. The SDK's HTTP handler starts this clock when the
 * request is created, not when it gets a socket, so time spent queued for one of the agent's
 * sockets counts too: with every record of a large batch sent at once into 50 sockets, calls that
 * never reached the network failed as "connection timeouts" (a batch of 2000 at 50 ms: 1009 of
 * them). Keeping at most {@link MAX_CALLS_IN_FLIGHT} calls in flight, no more than
 * {@link MAX_SOCKETS}, means a call never waits for a socket, and this counts the connection alone.
 */
export const CONNECTION_TIMEOUT_MS = 1000;

/**
 * Time allowed for one attempt, from the request's creation to the response's headers, in ms (it
 * is also the socket's inactivity timeout while the body arrives). Under load (a batch of 10000,
 * 50 calls in flight, 25 ms endpoint latency) the slowest call took 107 ms, so 1.5 s leaves a
 * margin of 14× for a slower CPU (a 256 MB function has a fraction of a core). It is
 * 1.5 s rather than 2 s so that a Step Functions that never answers costs at most
 * {@link MAX_ATTEMPTS} × 1.5 s plus the transient backoff, under 8.3 s: inside the default 10 s
 * function timeout even without the handler's deadline.
 */
export const REQUEST_TIMEOUT_MS = 1500;

/**
 * The SDK's retry mode: `standard` (full-jitter exponential backoff, a retry quota), chosen over
 * `adaptive` (the same plus client-side rate limiting) by measurement. Through the real SDK against
 * the loopback endpoint throttling as Step Functions does (a token bucket of 300 tokens refilled at
 * 500, 300 or 200 per second: 4×, 7× and 10× below what 50 calls in flight at 25 ms ask), 2000
 * records, {@link MAX_CALLS_IN_FLIGHT} in flight; failures of 6000 records over 3 runs, median time:
 *
 * | mode, attempts | refill 500/s     | refill 300/s      | refill 200/s       |
 * | -------------- | ---------------- | ----------------- | ------------------ |
 * | standard, 3    | 7 failed, 4.4 s  | 35 failed, 7.4 s  | 114 failed, 9.8 s  |
 * | standard, 4    | 0 failed, 5.1 s  | 2 failed, 7.6 s   | 18 failed, 11.2 s  |
 * | standard, 5    | 0 failed, 5.2 s  | 1 failed, 10.4 s  | 3 failed, 14.0 s   |
 * | adaptive, 3    | 0 failed, 12.2 s | 0 failed, 12.3 s  | 0 failed, 20.7 s   |
 *
 * 10000 records at 500/s: standard with 5 attempts, 0 failed in 22.0 s (454 records/s, 91% of the
 * refill rate); with 3, 11 failed in 21.1 s; adaptive, 0 failed in 55.4 s (180/s).
 *
 * Standard with 5 attempts, because adaptive mode avoids throttling by holding back the client's
 * own calls, far below what the bucket allows (a third to a half of its rate here: 1.2× to 2.4×
 * slower than standard), which a function that must finish within its timeout pays for; it may
 * hold a call's first attempt without bound (only the deadline's abort signal ends the wait), so
 * one call's worst case has no bound ({@link worstCaseSendMs}); its slowed rate outlives the batch
 * in the container (a second batch of 2000 right after took as long, 12.6 s); and the bucket is the
 * account's, shared with every other container, which each adapt only to their own throttling.
 * The AWS SDKs and Tools guide recommends standard for every workload, adaptive for
 * latency-tolerant clients of a single resource. The few records standard mode gives up on under
 * heavy throttling go back to the queue, and return after the visibility timeout, when the bucket
 * has refilled.
 *
 * Standard mode's retry quota (500 tokens per client; a throttling retry costs 5, given back when
 * that retry succeeds; a call that succeeds at once adds 1; a client short of tokens stops retrying)
 * did not bite in these runs: no call failed before its 5th attempt. It does with 100 calls in
 * flight against the 200/s bucket: 1043 of 2000 records failed, every one refused a retry by the
 * quota; one reason why {@link MAX_CALLS_IN_FLIGHT} is 50.
 */
export const RETRY_MODE = "standard" as const;

/**
 * Attempts per call (the first and 4 retries); see {@link RETRY_MODE}. With the SDK's throttling
 * backoff (a random wait of up to 1, 2, 4 and 8 s before the retries) a throttled call's retries
 * spread over up to 15 s, which lets the account's bucket refill; the handler's deadline ends them
 * sooner when the invocation is about to end.
 */
export const MAX_ATTEMPTS = 5;

/**
 * The bound on calls in flight that the handler's limiter should keep. Measured with these
 * settings, the endpoint at 25 ms in the same process: every bound from 10 to 400 (with as many
 * sockets) returned every record of batches of 1000 and 10000 with no failure, where the SDK's 50
 * sockets without a bound failed 11 of 1000 and 1009 of 2000 records at 50 ms, and 1000 sockets
 * opened at once failed 453 of 1000 (connections not accepted within the connection timeout).
 * Records per second, 1000 records: 10 in flight 354, 25: 842, 50: 1525, 100: 2231, 200: 2654,
 * 400: 3179; 10000 records: 50: 1738, 100: 2989, 200: 3548, 400: 3304 (with the endpoint in
 * another process: 1753, 2763, 2355, 2510). 50 rather than the faster 100 or 200:
 * - Step Functions' bucket for `SendTaskSuccess` refills at 500 per second at most (300 outside
 *   us-east-1, us-west-2 and eu-west-1), for the whole account: at 1700 per second one container
 *   already outruns it 3×; more only empties the burst sooner and is throttled after;
 * - under throttling, 100 in flight exhausted the SDK's retry quota (see {@link RETRY_MODE}) where
 *   50 did not;
 * - 50 sockets is the SDK's own default, far inside Lambda's 1024 file descriptors, and a function
 *   with a fraction of a core (256 MB) signs and parses fewer calls at a time.
 */
export const MAX_CALLS_IN_FLIGHT = 50;

/** Sockets per origin in the client's agent: as many as calls in flight, so that no call waits for one. */
export const MAX_SOCKETS = MAX_CALLS_IN_FLIGHT;

/**
 * The SDK's backoff (`@smithy/core/retry`, the 2026 retry behaviour this SDK version uses): a
 * retry after throttling waits a random time up to `min(1000 ms × 2^i, 20 s)` before retry i + 1;
 * after another retryable error (a timeout, a 5xx, a dropped connection), up to
 * `min(50 ms × 2^i, 20 s)`. A test checks these against the installed SDK.
 */
export const SDK_BACKOFF = { throttlingBaseMs: 1000, transientBaseMs: 50, maxDelayMs: 20_000 } as const;

export interface SendSettings {
    /** Attempts per call; {@link MAX_ATTEMPTS} when omitted. */
    maxAttempts?: number;
    /** Time allowed for one attempt; {@link REQUEST_TIMEOUT_MS} when omitted. */
    requestTimeoutMs?: number;
}

/**
 * The longest one `send` can take, in ms, retries and backoff included: every attempt runs to the
 * request timeout and every retry waits the longest throttling backoff. With the defaults,
 * 5 × 1.5 s + (1 + 2 + 4 + 8) s = 22.5 s. Not counted: a `Retry-After` header, which the SDK honours
 * up to 5 s beyond its own backoff (Step Functions' task-token actions document none), and waits
 * the caller adds (the limiter). A call given an abort signal ends at the signal instead.
 */
export function worstCaseSendMs(settings: SendSettings = {}): number {
    return allAttemptsMs(settings, SDK_BACKOFF.throttlingBaseMs);
}

/** Every attempt run to the request timeout, and before each retry the longest backoff from `backoffBaseMs`. */
function allAttemptsMs(settings: SendSettings, backoffBaseMs: number): number {
    const attempts = settings.maxAttempts ?? MAX_ATTEMPTS;
    const requestTimeoutMs = settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    let backoffMs = 0;
    for (let retry = 0; retry < attempts - 1; retry++) backoffMs += Math.min(backoffBaseMs * 2 ** retry, SDK_BACKOFF.maxDelayMs);
    return attempts * requestTimeoutMs + backoffMs;
}

/**
 * How long a call that never answers takes, in ms, before the SDK gives up: every attempt runs to
 * the request timeout, and each retry waits the longest backoff after a timeout (50, 100, 200,
 * 400 ms). With the defaults, 5 × 1.5 s + 0.75 s = 8.25 s.
 */
export function stalledCallMs(settings: SendSettings = {}): number {
    return allAttemptsMs(settings, SDK_BACKOFF.transientBaseMs);
}

/**
 * The shortest function timeout, in whole seconds, in which a call that never answers still gets
 * all its attempts before the invocation's deadline (the timeout less the deadline's margin):
 * 10 s with the defaults. With a shorter one, such a call is cut short at the deadline and its
 * record goes back to the queue before the SDK has retried it as often as it would.
 */
export function minimumFunctionTimeoutSeconds(settings: SendSettings = {}): number {
    const needed = stalledCallMs(settings);
    let seconds = 1;
    while (seconds * 1000 - deadlineMarginMs(seconds * 1000) < needed) seconds++;
    return seconds;
}
