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
  /** Its response was deleted: the instance keeping its run forgets it (its stream is not resumed); nothing is cancelled. */
  readonly deleted?: boolean;
  /** With `peek`: a page of its input items instead, for this list query. */
  readonly items?: string;
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

/** A background response's stream asked of the instance running it: its frames after `after`, sent to the asker as they come. */
export interface RelayedFollow {
  readonly principal: string;
  readonly responseId: string;
  readonly after: number;
}

/** Where a followed stream's frames go. */
export interface FollowSink {
  frames(frames: readonly string[]): void;
  /** The stream ended (its last frames came before). */
  end(): void;
  /** The stream can no longer be followed from here (the connection to Redis was lost): the client should resume. */
  lost(): void;
}

/** Starts following a run here for another instance; the function that stops it, or undefined when it does not run (or is not kept) here. */
export type FollowHere = (follow: RelayedFollow, sink: Omit<FollowSink, 'lost'>) => (() => void) | undefined | Promise<(() => void) | undefined>;

interface Envelope {
  readonly from: string;
  readonly nonce: string;
  readonly cancel?: RelayedCancel;
  readonly follow?: RelayedFollow;
  /** The asker stops following (`nonce` names the follow). */
  readonly unfollow?: boolean;
}

/** Characters of frames sent in one message at most (a long stream resumed from its start goes as several). */
const MAX_MESSAGE_CHARS = 256 * 1024;

/**
 * Cancels across instances (`continuity.store: redis`): a cancel endpoint that finds the
 * conversation's requests not running here asks every other instance through Redis pub/sub
 * (`<key_prefix>cancel`), each cancels what runs there and answers on the asking instance's own
 * channel (`<key_prefix>cancel:<instance>`). The asker waits for as many answers as Redis says
 * received the question, at most two command timeouts; an instance that does not answer in time
 * counts as having cancelled nothing, and so does every instance while Redis cannot be reached.
 *
 * The same channels carry background responses' questions (a poll's peek, a cancel by id) and
 * their streams: `follow` asks for one, and the instance keeping it (`followHere`) sends its
 * frames to the asker's channel until it ends or the asker unfollows (`serve`).
 * @see spec/server/cancel-relay.spec.ts
 */
export class CancelRelay {
  private readonly id = randomBytes(9).toString('base64url');
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly replies: string;
  private readonly waiting = new Map<string, { answers: RelayedAnswer[]; expected: number; done: () => void; enough: (answer: RelayedAnswer) => boolean }>();
  /** Streams this instance follows on others, by nonce. */
  private readonly following = new Map<string, FollowSink>();
  /** Streams this instance sends to others: what stops each, by asker and nonce. */
  private readonly serving = new Map<string, () => void>();
  /** This instance's subscriber is subscribed (so it is one of the receivers Redis counts). */
  private listening = false;
  private closed = false;

  constructor(url: string, keyPrefix: string, private readonly timeoutMs: number, private readonly handle: (cancel: RelayedCancel) => RelayedAnswer, private readonly followHere?: FollowHere) {
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
    this.subscriber.on('close', () => {
      this.listening = false;
      // What it followed no longer arrives: each of those clients is told to resume.
      const lost = [...this.following.values()];
      this.following.clear();
      for (const sink of lost) sink.lost();
    });
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel, this.replies).then(() => { this.listening = true; }, () => undefined);
    });
    this.subscriber.on('message', (channel: string, text: string) => this.receive(channel, text));
  }

  /** The other instances' answers to `cancel` (none while Redis cannot be reached). */
  ask(cancel: RelayedCancel): Promise<RelayedAnswer[]> {
    return this.question(randomBytes(9).toString('base64url'), { cancel }, () => false);
  }

  /**
   * Follows a background response's stream on the instance running it: its frames reach `sink`
   * as they come, then its end. The function that stops following, or undefined when no other
   * instance runs it (or keeps its stream).
   */
  async follow(follow: RelayedFollow, sink: FollowSink): Promise<(() => void) | undefined> {
    const nonce = randomBytes(9).toString('base64url');
    this.following.set(nonce, sink);
    const answers = await this.question(nonce, { follow }, (answer) => answer.found);
    // (Found, it may have ended already: its frames and end can come in the same read as the answer.)
    if (!answers.some((a) => a.found)) {
      this.following.delete(nonce);
      return undefined;
    }
    return () => {
      if (!this.following.delete(nonce)) return;
      const envelope: Envelope = { from: this.id, nonce, unfollow: true };
      void this.publisher.publish(this.channel, JSON.stringify(envelope)).catch(() => undefined);
    };
  }

  /** Asks every other instance; done when each answered, or one answer is `enough`, or after two timeouts. */
  private async question(nonce: string, body: Pick<Envelope, 'cancel' | 'follow'>, enough: (answer: RelayedAnswer) => boolean): Promise<RelayedAnswer[]> {
    if (this.closed) return [];
    const answers: RelayedAnswer[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    const entry = { answers, expected: Number.POSITIVE_INFINITY, done, enough };
    this.waiting.set(nonce, entry);
    let timer: NodeJS.Timeout | undefined;
    try {
      const envelope: Envelope = { from: this.id, nonce, ...body };
      // Every subscriber receives it, this instance too when it listens (it does not answer itself).
      const receivers = await this.publisher.publish(this.channel, JSON.stringify(envelope));
      entry.expected = receivers - (this.listening ? 1 : 0);
      if (answers.length >= entry.expected || answers.some(enough)) return [...answers];
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
    for (const stop of this.serving.values()) stop();
    this.serving.clear();
    const lost = [...this.following.entries()];
    this.following.clear();
    for (const [, sink] of lost) sink.lost();
    // The instances sending them stop (they would otherwise notice only on their next frame).
    const unfollows = lost.map(([nonce]) => this.publisher.publish(this.channel, JSON.stringify({ from: this.id, nonce, unfollow: true } satisfies Envelope)).catch(() => undefined));
    if (unfollows.length > 0) await Promise.race([Promise.all(unfollows), new Promise((resolve) => setTimeout(resolve, this.timeoutMs))]);
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
      const { nonce, answer, frames, end } = message as { nonce?: string; answer?: RelayedAnswer; frames?: string[]; end?: boolean };
      if (nonce === undefined) return;
      if (answer === undefined) {
        const sink = this.following.get(nonce);
        if (sink === undefined) return;
        if (Array.isArray(frames)) sink.frames(frames);
        if (end === true) {
          this.following.delete(nonce);
          sink.end();
        }
        return;
      }
      const entry = this.waiting.get(nonce);
      if (entry === undefined) return;
      entry.answers.push(answer);
      if (entry.answers.length >= entry.expected || entry.enough(answer)) entry.done();
      return;
    }
    const envelope = message as Envelope;
    if (channel !== this.channel || envelope.from === this.id || typeof envelope.from !== 'string' || typeof envelope.nonce !== 'string') return;
    if (envelope.unfollow === true) {
      const key = `${envelope.from} ${envelope.nonce}`;
      this.serving.get(key)?.();
      this.serving.delete(key);
      return;
    }
    if (envelope.follow !== undefined) return void this.serve(envelope.from, envelope.nonce, envelope.follow);
    if (envelope.cancel === undefined) return;
    let answer: RelayedAnswer;
    try {
      answer = this.handle(envelope.cancel);
    } catch {
      answer = { found: false, forbidden: false, cancelled: 0 };
    }
    void this.publisher.publish(`${this.channel}:${envelope.from}`, JSON.stringify({ nonce: envelope.nonce, answer })).catch(() => undefined);
  }

  /**
   * Another instance follows a stream: found here, its frames go to the asker's own channel,
   * gathered per turn (at most MAX_MESSAGE_CHARS a message), after the answer that says so and
   * in order (one connection publishes them all); sending stops when the stream ends, when the
   * asker unfollows (while the run is looked up, too), or when nobody receives the asker's
   * channel any more.
   */
  private async serve(from: string, nonce: string, follow: RelayedFollow): Promise<void> {
    const target = `${this.channel}:${from}`;
    const key = `${from} ${nonce}`;
    let pending: string[] = [];
    let ended = false;
    let scheduled = false;
    let stopped = false;
    let stop: (() => void) | undefined;
    const halt = () => {
      stopped = true;
      stop?.();
      this.serving.delete(key);
    };
    const send = (payload: Record<string, unknown>) => {
      this.publisher.publish(target, JSON.stringify({ nonce, ...payload })).then((receivers) => { if (receivers === 0) halt(); }, halt);
    };
    const flush = () => {
      scheduled = false;
      if (stopped) return;
      let batch: string[] = [];
      let chars = 0;
      for (const frame of pending) {
        if (chars + frame.length > MAX_MESSAGE_CHARS && batch.length > 0) {
          send({ frames: batch });
          batch = [];
          chars = 0;
        }
        batch.push(frame);
        chars += frame.length;
      }
      pending = [];
      if (batch.length > 0) send({ frames: batch });
      if (ended) {
        send({ end: true });
        halt();
      }
    };
    // Everything goes out on a later turn, after the answer below.
    const later = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
    };
    // An unfollow while the run is looked up stops it as well.
    this.serving.set(key, halt);
    let found = false;
    try {
      stop = await this.followHere?.(follow, {
        frames: (frames) => { pending.push(...frames); later(); },
        end: () => { ended = true; later(); },
      });
      found = stop !== undefined;
    } catch {
      found = false;
    }
    if (stopped) stop?.();
    if (!found) this.serving.delete(key);
    const answer: RelayedAnswer = { found, forbidden: false, cancelled: 0 };
    void this.publisher.publish(target, JSON.stringify({ nonce, answer })).catch(() => undefined);
  }
}
