import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisClient } from '../circuit/redis/redis-client.js';

/** A cancel as it travels to the other instances (already authorised where it arrived). */
export interface RelayedCancel {
  readonly principal: string;
  /** The A-leg whose in-flight requests go. */
  readonly aLegId?: string;
  /** A Responses cancel: the running response, checked against `aLegId` or `sessionId` where it runs. */
  readonly responseId?: string;
  readonly sessionId?: string;
  /** A background response's cancel (`responseId`): its principal is all it needs. */
  readonly background?: boolean;
  /** Only its object while it runs (a retrieval of a background response running elsewhere): nothing is cancelled. */
  readonly peek?: boolean;
  /** The cancel's own path (the cancelled attempts' reason). */
  readonly path: string;
}

/** What one instance did with a relayed cancel. */
export interface RelayedAnswer {
  /** The response it names runs there (a Responses cancel). */
  readonly found: boolean;
  /** ... but in another conversation than the caller's (nothing was cancelled). */
  readonly forbidden: boolean;
  readonly cancelled: number;
  /** The A-leg of the response found (its conversation's). */
  readonly aLegId?: string;
  /** The Responses object of the cancelled response. */
  readonly body?: unknown;
}

interface Envelope {
  readonly from: string;
  readonly nonce: string;
  readonly cancel: RelayedCancel;
}

/**
 * Cancels across instances (`continuity.store: redis`): a cancel endpoint that finds the
 * conversation's requests not running here asks every other instance through Redis pub/sub
 * (`<key_prefix>cancel`), each cancels what runs there and answers on the asking instance's own
 * channel (`<key_prefix>cancel:<instance>`). The asker waits for as many answers as Redis says
 * received the question, at most two command timeouts; an instance that does not answer in time
 * counts as having cancelled nothing, and so does every instance while Redis cannot be reached.
 */
export class CancelRelay {
  private readonly id = randomBytes(9).toString('base64url');
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly replies: string;
  private readonly waiting = new Map<string, { answers: RelayedAnswer[]; expected: number; done: () => void }>();
  /** This instance's subscriber is subscribed (so it is one of the receivers Redis counts). */
  private listening = false;
  private closed = false;

  constructor(url: string, keyPrefix: string, private readonly timeoutMs: number, private readonly handle: (cancel: RelayedCancel) => RelayedAnswer) {
    const options = {
      commandTimeout: timeoutMs,
      connectTimeout: Math.max(1_000, timeoutMs * 5),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000),
      connectionName: 'lip-cancel',
    };
    this.channel = `${keyPrefix}cancel`;
    this.replies = `${keyPrefix}cancel:${this.id}`;
    this.publisher = redisClient(url, options);
    this.subscriber = redisClient(url, { ...options, autoResubscribe: false });
    // Errors are the stores' to report (they share Redis); a relay that cannot reach Redis answers nothing.
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('close', () => { this.listening = false; });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel, this.replies).then(() => { this.listening = true; }, () => undefined);
    });
    this.subscriber.on('message', (channel: string, text: string) => this.receive(channel, text));
  }

  /** The other instances' answers to `cancel` (none while Redis cannot be reached). */
  async ask(cancel: RelayedCancel): Promise<RelayedAnswer[]> {
    if (this.closed) return [];
    const nonce = randomBytes(9).toString('base64url');
    const answers: RelayedAnswer[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    const entry = { answers, expected: Number.POSITIVE_INFINITY, done };
    this.waiting.set(nonce, entry);
    let timer: NodeJS.Timeout | undefined;
    try {
      const envelope: Envelope = { from: this.id, nonce, cancel };
      // Every subscriber receives it, this instance too when it listens (it does not answer itself).
      const receivers = await this.publisher.publish(this.channel, JSON.stringify(envelope));
      entry.expected = receivers - (this.listening ? 1 : 0);
      if (answers.length >= entry.expected) return answers;
      await Promise.race([finished, new Promise<void>((resolve) => { timer = setTimeout(resolve, this.timeoutMs * 2); })]);
      return [...answers];
    } catch {
      return [...answers];
    } finally {
      clearTimeout(timer);
      this.waiting.delete(nonce);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { done } of this.waiting.values()) done();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private receive(channel: string, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (channel === this.replies) {
      const { nonce, answer } = message as { nonce?: string; answer?: RelayedAnswer };
      const entry = nonce === undefined ? undefined : this.waiting.get(nonce);
      if (entry === undefined || answer === undefined) return;
      entry.answers.push(answer);
      if (entry.answers.length >= entry.expected) entry.done();
      return;
    }
    const envelope = message as Envelope;
    if (channel !== this.channel || envelope.from === this.id || typeof envelope.from !== 'string' || envelope.cancel === undefined) return;
    let answer: RelayedAnswer;
    try {
      answer = this.handle(envelope.cancel);
    } catch {
      answer = { found: false, forbidden: false, cancelled: 0 };
    }
    void this.publisher.publish(`${this.channel}:${envelope.from}`, JSON.stringify({ nonce: envelope.nonce, answer })).catch(() => undefined);
  }
}
