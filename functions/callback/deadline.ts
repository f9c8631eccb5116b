/**
 * The invocation's deadline as an abort signal. Lambda ends an invocation at its timeout whatever
 * is still running, and then the whole batch comes back to the queue, finished records included.
 * Everything the function does for a record (the work, each call to Step Functions, the wait for
 * a free connection) stops when this signal aborts, a margin before Lambda's end, so that the
 * function still answers with a partial batch response naming exactly the unfinished records.
 */

/** The longest delay `setTimeout` takes, in ms (about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The time kept back at the end of an invocation: at most 1 s, at least 100 ms, else a tenth. */
export function deadlineMarginMs(remainingMs: number): number {
    return Math.min(1000, Math.max(100, Math.floor(remainingMs / 10)));
}

/** A record was not finished when the invocation's time ran out; it goes back to the queue. */
export class InvocationDeadlineError extends Error {
    constructor(public readonly budgetMs: number) {
        super(`The invocation's time ran out (${budgetMs} ms for the batch) before this record was finished`);
        this.name = "InvocationDeadlineError";
    }
}

/** The part of Lambda's context the deadline needs. */
export interface RemainingTime {
    getRemainingTimeInMillis(): number;
}

export interface InvocationDeadline {
    /** Aborts, with an {@link InvocationDeadlineError}, a margin before the invocation's end. */
    signal: AbortSignal;
    /** The time the batch was given, in milliseconds. */
    budgetMs: number;
    /** Clears the timer once the batch is answered. */
    clear(): void;
}

/** Starts the clock of one invocation, from what Lambda says is left of it. */
export function invocationDeadline(context: RemainingTime): InvocationDeadline {
    const remaining = Number(context.getRemainingTimeInMillis());
    // A context without a usable figure (a test's, a local run's) gets no deadline of its own.
    const budgetMs = Number.isFinite(remaining) ? Math.max(0, remaining - deadlineMarginMs(remaining)) : Number.POSITIVE_INFINITY;
    const controller = new AbortController();
    const abort = () => controller.abort(new InvocationDeadlineError(budgetMs));
    let timer: NodeJS.Timeout | undefined;
    if (budgetMs === 0) abort();
    // Lambda's longest invocation is 900 s: a longer budget is no deadline at all.
    else if (Number.isFinite(budgetMs)) timer = setTimeout(abort, Math.min(budgetMs, MAX_TIMER_MS));
    return { signal: controller.signal, budgetMs, clear: () => clearTimeout(timer) };
}

// What waits on each signal. Node's `addEventListener` looks through every listener a target
// already has before it adds one, so a listener per waiter made a batch quadratic: 10000 records,
// each waiting on the invocation's signal for itself and for its call slot, blocked the event loop
// for 1.5 s before the first call. A signal gets one listener here while anything waits on it, and
// each waiter is a set entry. The listener goes when the last waiter does: Node keeps a signal made
// by `AbortSignal.any` alive while it has a listener, and one whose sources never abort would stay.
const waiting = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/**
 * Calls `onAbort` when `signal` aborts (it must not be aborted yet); returns the function that
 * cancels that. Each waiter passes a function of its own.
 */
function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
    let entry = waiting.get(signal);
    if (entry === undefined) {
        const callbacks = new Set<() => void>();
        const listener = () => {
            waiting.delete(signal);
            for (const callback of callbacks) callback();
        };
        waiting.set(signal, (entry = { callbacks, listener }));
        signal.addEventListener("abort", listener, { once: true });
    }
    const current = entry;
    current.callbacks.add(onAbort);
    return () => {
        current.callbacks.delete(onAbort);
        if (current.callbacks.size > 0 || waiting.get(signal) !== current) return; // others wait, or it aborted
        waiting.delete(signal);
        signal.removeEventListener("abort", current.listener);
    };
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts, whichever
 * comes first: what the promise does after that is no longer awaited.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) {
        promise.catch(() => undefined); // its outcome no longer matters, and must not be unhandled
        return Promise.reject(signal.reason as Error);
    }
    return new Promise<T>((resolve, reject) => {
        const cancel = whenAborted(signal, () => reject(signal.reason as Error));
        promise.then(
            (value) => {
                cancel();
                resolve(value);
            },
            (error: unknown) => {
                cancel();
                reject(error as Error);
            },
        );
    });
}
