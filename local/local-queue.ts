/**
 * An in-process stand-in for the task queue and its Lambda event source mapping, for the local
 * run: messages are delivered to the consumer in SQS-shaped batches; records the consumer names in
 * `batchItemFailures` (or all, when it throws) come back after a redelivery delay with their
 * receive count raised; a message received `maxReceiveCount` times without success moves to the
 * dead-letter queue, as SQS's redrive policy does.
 */
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export interface QueueMessage {
    messageId: string;
    body: string;
    receiveCount: number;
    /** Deliver it once more after it was deleted, as SQS's at-least-once delivery may. */
    duplicate: boolean;
}

export type QueueEventType = "sent" | "received" | "deleted" | "returned" | "dead-lettered";

export interface QueueEvent {
    type: QueueEventType;
    messageId: string;
    receiveCount: number;
    timestamp: number;
}

export interface LocalQueueOptions {
    /** ARN the records name as their source. */
    queueArn: string;
    /** Records per invocation. */
    batchSize: number;
    /** Receives before a message moves to the dead-letter queue. */
    maxReceiveCount: number;
    /** How long a returned message stays invisible (the visibility timeout, shortened locally). */
    redeliveryDelayMs: number;
    /**
     * Batches in flight at once: the event source mapping's maximum concurrency, and so the most
     * execution environments of the function busy at once.
     */
    maxConcurrentBatches: number;
    /** The function the event source mapping invokes. */
    consumer: (event: SQSEvent) => Promise<SQSBatchResponse>;
    /** Called for every move of a message. */
    onEvent?: (event: QueueEvent) => void;
}

export class LocalQueue {
    public readonly deadLetters: QueueMessage[] = [];
    private readonly visible: QueueMessage[] = [];
    private readonly timers = new Set<NodeJS.Timeout>();
    private inFlight = 0;
    private readonly held = new Set<QueueMessage>();
    private readonly doneWaiters = new Map<string, () => void>();
    private readonly done = new Set<string>();
    private closed = false;

    constructor(private readonly options: LocalQueueOptions) {}

    /**
     * Sends a message; returns its id. With `holdUntil`, the message waits on the queue until that
     * promise settles, as if its consumer were down until then.
     */
    public send(body: string, options: { duplicate?: boolean; holdUntil?: Promise<unknown> } = {}): string {
        const message: QueueMessage = { messageId: randomUUID(), body, receiveCount: 0, duplicate: options.duplicate ?? false };
        this.emit("sent", message);
        if (options.holdUntil === undefined) {
            this.makeVisible(message);
        } else {
            this.held.add(message);
            const release = () => {
                if (this.held.delete(message)) this.makeVisible(message);
            };
            options.holdUntil.then(release, release);
        }
        return message.messageId;
    }

    /** Resolves once the message is deleted for good or moved to the dead-letter queue, or the queue is closed. */
    public whenDone(messageId: string): Promise<void> {
        // After close() nothing is delivered any more: an execution that ends then (its task ended by
        // the close) would otherwise wait for its message forever.
        if (this.closed || this.done.has(messageId)) return Promise.resolve();
        return new Promise((resolve) => this.doneWaiters.set(messageId, resolve));
    }

    /** Drops what is still waiting, so that no timer keeps the process alive. */
    public close(): void {
        this.closed = true;
        for (const resolve of this.doneWaiters.values()) resolve();
        this.doneWaiters.clear();
        this.held.clear();
        this.timers.forEach(clearTimeout);
        this.timers.clear();
        this.visible.length = 0;
    }

    private emit(type: QueueEventType, message: QueueMessage): void {
        this.options.onEvent?.({ type, messageId: message.messageId, receiveCount: message.receiveCount, timestamp: Date.now() });
        if (type === "dead-lettered" || (type === "deleted" && !message.duplicate)) {
            this.done.add(message.messageId);
            this.doneWaiters.get(message.messageId)?.();
            this.doneWaiters.delete(message.messageId);
        }
    }

    private makeVisible(message: QueueMessage, delayMs = 0): void {
        // A batch that comes back after the queue was closed (the run ended) is not delivered again.
        if (this.closed) return;
        if (delayMs === 0) {
            this.visible.push(message);
            queueMicrotask(() => this.pump());
            return;
        }
        const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.visible.push(message);
            this.pump();
        }, delayMs);
        this.timers.add(timer);
    }

    private pump(): void {
        while (this.visible.length > 0 && this.inFlight < this.options.maxConcurrentBatches) {
            const batch: QueueMessage[] = [];
            while (batch.length < this.options.batchSize && this.visible.length > 0) {
                const message = this.visible.shift()!;
                // SQS moves a message to the dead-letter queue instead of delivering it once its
                // receive count has reached maxReceiveCount.
                if (message.receiveCount >= this.options.maxReceiveCount) {
                    this.deadLetters.push(message);
                    this.emit("dead-lettered", message);
                    continue;
                }
                message.receiveCount++;
                this.emit("received", message);
                batch.push(message);
            }
            if (batch.length > 0) void this.deliver(batch);
        }
    }

    private async deliver(batch: QueueMessage[]): Promise<void> {
        this.inFlight++;
        let failed: Set<string>;
        try {
            const response = await this.options.consumer({ Records: batch.map((m) => this.record(m)) });
            failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        } catch {
            failed = new Set(batch.map((m) => m.messageId)); // a failed invocation returns the whole batch
        }
        this.inFlight--;
        for (const message of batch) {
            if (failed.has(message.messageId)) {
                this.emit("returned", message);
                this.makeVisible(message, this.options.redeliveryDelayMs);
            } else {
                this.emit("deleted", message);
                if (message.duplicate) {
                    message.duplicate = false;
                    this.makeVisible(message);
                }
            }
        }
        this.pump();
    }

    private record(message: QueueMessage): SQSRecord {
        const now = String(Date.now());
        return {
            messageId: message.messageId,
            receiptHandle: `${message.messageId}#${message.receiveCount}`,
            body: message.body,
            attributes: {
                ApproximateReceiveCount: String(message.receiveCount),
                SentTimestamp: now,
                SenderId: "local-state-machine",
                ApproximateFirstReceiveTimestamp: now,
            },
            messageAttributes: {},
            md5OfBody: "",
            eventSource: "aws:sqs",
            eventSourceARN: this.options.queueArn,
            awsRegion: this.options.queueArn.split(":")[3] ?? "local",
        };
    }
}
