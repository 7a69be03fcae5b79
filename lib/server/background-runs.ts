import type { ServerResponse } from 'node:http';
import { SSE_KEEPALIVE } from '../wire/index.js';
import type { RequestState } from './request-state.js';
import type { FollowSink, RelayedFollow } from './cancel-relay.js';

/** How long the events of a streamed background response stay resumable after it ended. */
export const BACKGROUND_RETENTION_MS = 10 * 60_000;
/** Ended streamed runs kept at most (the oldest go first beyond it). */
export const MAX_ENDED_RUNS = 1_000;

/**
 * Characters of frames kept for resuming: `run` of one run (its newest; a stream that never ends
 * must not hold its every frame), `total` of all runs together, running and ended.
 */
export interface KeptFrames {
  readonly run: number;
  readonly total: number;
}
export const KEPT_FRAMES: KeptFrames = { run: 64 * 1024 * 1024, total: 256 * 1024 * 1024 };

/** Told each frame of a run's stream, then undefined once the run ended. */
type Follower = (frame: string | undefined) => void;

/**
 * One background response (`Continuation.background`) while it runs detached from its request,
 * and, when it was created streamed, the newest frames of its stream (one per sequence number,
 * from 0: `GET /v1/responses/{id}?stream=true&starting_after=N` resumes after frame N), at most
 * `maxChars` of them.
 */
export class BackgroundRun {
  /** The frames of its stream it keeps, from sequence number `first` (undefined: created without `stream`, nothing to resume). */
  readonly frames: string[] | undefined;
  /** Sequence number of its oldest kept frame: the ones before it went (past `maxChars`, or the total of all runs). */
  first = 0;
  /** Characters of its kept frames. */
  chars = 0;
  /** Told of the characters it keeps more (fewer, negative), while BackgroundRuns counts them. */
  counted: ((chars: number) => void) | undefined;
  /** Its first event came (the response runs rather than waits). */
  started = false;
  /** When it ended (milliseconds since the epoch); undefined while it runs. */
  endedAt: number | undefined;
  /** Its response was deleted (BackgroundRuns.drop): it is found no more, nor kept once it ended. */
  deleted = false;
  private readonly followers = new Set<Follower>();

  /**
   * `state` is what the cancel endpoints and the shutdown find it by (its `abort` ends the run);
   * `object` makes its protocol's response object while it runs, `items` a page of its input
   * items (for a list query; a 400 LipError for a malformed one).
   */
  constructor(readonly id: string, readonly principal: string, readonly state: RequestState, streamed: boolean, private readonly object: (started: boolean) => unknown,
    readonly items?: (query: URLSearchParams) => unknown, private readonly maxChars = KEPT_FRAMES.run) {
    this.frames = streamed ? [] : undefined;
  }

  /** Its response object now (`queued`, then `in_progress`; once ended, while its record is written, as it ended). */
  running(): unknown {
    return this.state.ended?.() ?? this.object(this.started);
  }

  /**
   * Wire text of its stream: kept frame by frame (frames end with a blank line) and told to every
   * follower; past `maxChars` the oldest frames go.
   */
  push(text: string): void {
    if (this.frames === undefined || text === '') return;
    let start = 0;
    let added = 0;
    for (let end = text.indexOf('\n\n'); end !== -1; end = text.indexOf('\n\n', start)) {
      const frame = text.slice(start, end + 2);
      start = end + 2;
      this.frames.push(frame);
      added += frame.length;
      for (const follower of this.followers) follower(frame);
    }
    this.chars += added;
    this.counted?.(added);
    if (this.chars > this.maxChars) this.forget(this.chars - this.maxChars);
  }

  /**
   * Forgets its oldest frames: `chars` characters of them at least, and a quarter of `maxChars`
   * more (so that the array is cut now and then, not at every frame).
   */
  forget(chars: number): void {
    if (this.frames === undefined) return;
    const goal = chars + this.maxChars / 4;
    let count = 0;
    let freed = 0;
    while (count < this.frames.length && freed < goal) freed += this.frames[count++]!.length;
    this.frames.splice(0, count);
    this.first += count;
    this.chars -= freed;
    this.counted?.(-freed);
  }

  /** Its stream can be followed after sequence number `after`: it keeps every frame since. */
  keeps(after: number): boolean {
    return this.frames !== undefined && after + 1 >= this.first;
  }

  /** Ends it: every follower is told, and none is kept. */
  end(at: number): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = at;
    const followers = [...this.followers];
    this.followers.clear();
    for (const follower of followers) follower(undefined);
  }

  /** Tells `watcher` of each new frame and of its end; returns what stops telling it. */
  watch(watcher: () => void): () => void {
    if (this.endedAt !== undefined) return () => undefined;
    const follower: Follower = () => watcher();
    this.followers.add(follower);
    return () => { this.followers.delete(follower); };
  }

  /**
   * Follows its stream: the frames after sequence number `after` (-1: all; those it still keeps,
   * see `keeps`) at once, then each new one, then undefined when it ends (at once if it has).
   * Returns what stops following.
   */
  follow(after: number, follower: Follower): () => void {
    const kept = this.frames ?? [];
    for (const frame of kept.slice(Math.max(0, after + 1 - this.first))) follower(frame);
    if (this.endedAt !== undefined) {
      follower(undefined);
      return () => undefined;
    }
    // A cursor ahead of what came so far: the frames up to it are skipped as they come.
    let ahead = Math.max(0, after + 1 - this.first - kept.length);
    const own: Follower = ahead === 0 ? follower : (frame) => {
      if (frame !== undefined && ahead > 0) ahead--;
      else follower(frame);
    };
    this.followers.add(own);
    return () => { this.followers.delete(own); };
  }
}

/**
 * The background responses of this instance: those running (each counted as a request in
 * flight through `track`/`untrack`, so that a cancel finds it and a shutdown waits for it and
 * then ends it), and the streamed ones that ended in the last BACKGROUND_RETENTION_MS (at most
 * MAX_ENDED_RUNS), whose streams can still be resumed, until their response is deleted
 * (`drop`). A run created without `stream` is forgotten when it ends: its stored response
 * answers for it. The frames of all runs are
 * counted together (`limits.total`): past it, the ended runs go first (the oldest), then a
 * running run forgets its oldest frames as it pushes more (each run keeps `limits.run` at most
 * when created with them).
 * @see spec/server/background-runs.spec.ts
 */
export class BackgroundRuns {
  private readonly runs = new Map<string, BackgroundRun>();
  private ended = 0;
  /** Runs that have not ended. */
  private active = 0;
  /** Characters of the frames of the runs kept. */
  private kept = 0;

  constructor(private readonly track: (state: RequestState) => void, private readonly untrack: (state: RequestState) => void, private readonly now: () => number = Date.now,
    readonly limits: KeptFrames = KEPT_FRAMES) {}

  /**
   * Keeps a run: in flight, or, when it ended before it was added (a run that ended within the
   * tick that created it), as an ended one from the start (never tracked).
   */
  add(run: BackgroundRun): void {
    this.sweep();
    this.runs.set(run.id, run);
    this.kept += run.chars;
    run.counted = (chars) => this.counted(run, chars);
    if (run.endedAt !== undefined) return this.keepEnded(run);
    this.active++;
    this.track(run.state);
  }

  /** Runs that have not ended yet. */
  get inProgress(): number {
    return this.active;
  }

  /**
   * The run has ended (and what it stored is written): its followers end, and it stops counting
   * as in flight. A run not added yet is only ended (`add` then keeps it as ended).
   */
  finish(run: BackgroundRun): void {
    if (run.endedAt !== undefined) return;
    run.end(this.now());
    if (this.runs.get(run.id) !== run) return;
    this.active--;
    this.untrack(run.state);
    this.keepEnded(run);
  }

  /** `principal`'s run of that id, running or ended with its stream kept (its response not deleted). */
  find(id: string, principal: string): BackgroundRun | undefined {
    const run = this.runs.get(id);
    return run !== undefined && run.principal === principal && !run.deleted ? run : undefined;
  }

  /**
   * `principal`'s response `id` was deleted: its run is found no more, and its kept stream goes
   * (one whose record was written but that has not ended yet goes when it ends). False when no
   * such run is kept here.
   */
  drop(id: string, principal: string): boolean {
    const run = this.find(id, principal);
    if (run === undefined) return false;
    run.deleted = true;
    if (run.endedAt !== undefined) {
      this.forget(run);
      this.ended--;
    }
    return true;
  }

  /** `principal` has a run of that id here, and it has not ended. */
  running(id: string, principal: string): boolean {
    const run = this.find(id, principal);
    return run !== undefined && run.endedAt === undefined;
  }

  /** Runs kept now (running, and ended with their streams). */
  get size(): number {
    return this.runs.size;
  }

  /** Characters of the frames kept now, of every run. */
  get keptChars(): number {
    return this.kept;
  }

  /** A run kept here keeps `chars` more characters (fewer, negative): past the total, ended runs go, then its own oldest frames. */
  private counted(run: BackgroundRun, chars: number): void {
    if (this.runs.get(run.id) !== run) return;
    this.kept += chars;
    if (chars <= 0 || this.kept <= this.limits.total) return;
    this.sweep();
    if (this.kept > this.limits.total) run.forget(this.kept - this.limits.total);
  }

  /** An ended run: forgotten (created without stream, or deleted), or with its stream kept for a while. */
  private keepEnded(run: BackgroundRun): void {
    if (run.frames === undefined || run.deleted) this.forget(run);
    else this.ended++;
    this.sweep();
  }

  private forget(run: BackgroundRun): void {
    this.runs.delete(run.id);
    this.kept -= run.chars;
  }

  /**
   * Forgets ended runs past their retention, and the oldest beyond MAX_ENDED_RUNS or the total
   * of frames (the map keeps insertion order, which is nearly the order they ended in).
   */
  private sweep(): void {
    if (this.ended === 0) return;
    const oldest = this.now() - BACKGROUND_RETENTION_MS;
    for (const run of this.runs.values()) {
      if (run.endedAt === undefined) continue;
      if (run.endedAt > oldest && this.ended <= MAX_ENDED_RUNS && this.kept <= this.limits.total) continue;
      this.forget(run);
      this.ended--;
      if (this.ended === 0) return;
    }
  }
}

/**
 * Another instance follows a run of this one (CancelRelay.follow): its frames after the cursor
 * go to `sink`, then its end; undefined when no such run (with its stream kept) is here. An
 * ended run is followed only while `stored` finds its response (its record is written by then;
 * `stored` rejects for one deleted since, on any instance): the asker answers the 404.
 */
export async function followForRelay(runs: BackgroundRuns, follow: RelayedFollow, sink: Omit<FollowSink, 'lost'>, stored: (id: string, principal: string) => Promise<unknown>): Promise<(() => void) | undefined> {
  const run = runs.find(follow.responseId, follow.principal);
  if (run === undefined || !run.keeps(follow.after)) return undefined;
  if (run.endedAt !== undefined) {
    const kept = await stored(run.id, run.principal).then(() => true, () => false);
    // (Forgotten meanwhile: deleted, or past its retention.)
    if (!kept || runs.find(run.id, run.principal) !== run) return undefined;
  }
  return run.follow(follow.after, (frame) => (frame === undefined ? sink.end() : sink.frames([frame])));
}

/**
 * Follows a run of another instance through the relay for one client, as followRun does for a
 * run of this one (a copy of the frames that came, fed by the relay); false when no other
 * instance runs it. A lost relay cuts the client off, so that it resumes.
 */
export async function followElsewhere(res: ServerResponse, relay: CancelRelayLike, follow: RelayedFollow, o: FollowOptions, now: () => number = Date.now): Promise<boolean> {
  const copy = new BackgroundRun(follow.responseId, follow.principal, { requestId: '', startedAt: 0, routeGroup: '' }, true, () => undefined);
  let cut = false;
  const stop = await relay.follow(follow, {
    frames: (frames) => { for (const frame of frames) copy.push(frame); },
    end: () => copy.end(now()),
    lost: () => {
      cut = true;
      res.destroy();
      copy.end(now());
    },
  });
  if (stop === undefined) return false;
  if (!cut) await followRun(res, copy, -1, o);
  stop();
  return true;
}

/** What followElsewhere needs of the relay. */
export interface CancelRelayLike {
  follow(follow: RelayedFollow, sink: FollowSink): Promise<(() => void) | undefined>;
}

export interface FollowOptions {
  readonly contentType: string;
  readonly headers: Record<string, string>;
  readonly keepaliveMs: number;
  /** How long a client may take none of the stream (its connection full) before it is cut off; it can resume. */
  readonly stalledMs?: number;
}

/** How long a client may leave its connection full before it is cut off (it resumes from where it was). */
export const STALLED_CLIENT_MS = 60_000;

/**
 * Streams a run to one client: status 200 and the frames after `after`, then each new one, a
 * keepalive comment while none comes, until the run ends (the response ends) or the client
 * leaves (the run goes on). The frames are written as fast as the client takes them: a
 * resumption of a long stream waits for its connection to drain (the run keeps the frames
 * anyway), and a client that takes nothing for `stalledMs` is cut off; it resumes with the last
 * sequence number it read; so is a client that fell so far behind that the frames it would read
 * next are no longer kept (the run keeps its newest only, BackgroundRun). Resolves when the
 * response is over.
 */
export function followRun(res: ServerResponse, run: BackgroundRun, after: number, o: FollowOptions): Promise<void> {
  return new Promise((resolve) => {
    // A client that left meanwhile (while another instance was asked for the stream).
    if (res.destroyed) return resolve();
    res.writeHead(200, { ...o.headers, 'content-type': o.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const frames = run.frames ?? [];
    /** The sequence number it writes next. */
    let next = after + 1;
    let wrote = false;
    let full = false;
    let over = false;
    const keepalive = o.keepaliveMs > 0
      ? setInterval(() => {
        if (!wrote && !full && !res.destroyed) res.write(SSE_KEEPALIVE);
        wrote = false;
      }, o.keepaliveMs)
      : undefined;
    keepalive?.unref();
    let stalled: NodeJS.Timeout | undefined;
    let unwatch: (() => void) | undefined;
    const stop = () => {
      if (over) return;
      over = true;
      if (keepalive !== undefined) clearInterval(keepalive);
      clearTimeout(stalled);
      unwatch?.();
      resolve();
    };
    const drained = () => {
      full = false;
      clearTimeout(stalled);
      pump();
    };
    const pump = () => {
      if (over || full) return;
      if (next < run.first) {
        res.destroy();
        return stop();
      }
      while (next < run.first + frames.length) {
        wrote = true;
        if (!res.write(frames[next++ - run.first])) {
          full = true;
          res.once('drain', drained);
          stalled = setTimeout(() => { res.destroy(); stop(); }, o.stalledMs ?? STALLED_CLIENT_MS);
          stalled.unref();
          return;
        }
      }
      if (run.endedAt !== undefined) {
        res.end();
        stop();
      }
    };
    res.once('close', stop);
    unwatch = run.watch(pump);
    pump();
    if (over) unwatch();
  });
}
