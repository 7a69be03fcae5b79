import { expect } from 'chai';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest } from '../../lib/frontends/openai-responses/index.js';
import { BACKGROUND_RETENTION_MS, BackgroundRun, BackgroundRuns, KEPT_FRAMES, MAX_ENDED_RUNS, followForRelay, followRun } from '../../lib/server/background-runs.js';
import type { RequestState } from '../../lib/server/request-state.js';

const state = (responseId: string): RequestState => ({ requestId: `req-${responseId}`, startedAt: 0, routeGroup: '/v1/responses', responseId, background: true });
const run = (id: string, streamed = true, principal = 'alice', maxChars?: number) => new BackgroundRun(id, principal, state(id), streamed, (started) => ({ id, status: started ? 'in_progress' : 'queued' }), undefined, maxChars);
const frame = (n: number) => `event: e\ndata: {"type":"e","sequence_number":${n}}\n\n`;
/** A frame of 100 characters. */
const frame100 = (n: number) => {
  const head = `event: e\ndata: {"sequence_number":${n},"pad":"`;
  return `${head}${'x'.repeat(100 - head.length - 4)}"}\n\n`;
};

describe('server/background-runs', () => {
  describe('BackgroundRun', () => {
    it('keeps its stream frame by frame (text of several frames at once, too) and shows its object queued, then in_progress', () => {
      const r = run('resp_a');
      expect(r.running()).to.deep.equal({ id: 'resp_a', status: 'queued' });
      r.push(frame(0) + frame(1));
      r.push('');
      r.push(frame(2));
      r.started = true;
      expect(r.frames).to.deep.equal([frame(0), frame(1), frame(2)]);
      expect(r.running()).to.deep.equal({ id: 'resp_a', status: 'in_progress' });
    });

    it('a follower gets the frames after its cursor at once, then each new one, then the end; one that stops following gets nothing more', () => {
      const r = run('resp_a');
      r.push(frame(0) + frame(1) + frame(2));
      const seen: (string | undefined)[] = [];
      const other: (string | undefined)[] = [];
      r.follow(0, (f) => seen.push(f));
      const stop = r.follow(-1, (f) => other.push(f));
      expect(seen).to.deep.equal([frame(1), frame(2)]);
      stop();
      r.push(frame(3));
      r.end(1_000);
      r.push(frame(4));
      expect(seen).to.deep.equal([frame(1), frame(2), frame(3), undefined]);
      expect(other).to.deep.equal([frame(0), frame(1), frame(2)]);
      // Followed after it ended: what it kept, then the end at once.
      const late: (string | undefined)[] = [];
      r.follow(2, (f) => late.push(f));
      expect(late).to.deep.equal([frame(3), frame(4), undefined]);
    });

    it('a cursor ahead of the frames so far skips the frames up to it as they come', () => {
      const r = run('resp_a');
      r.push(frame(0));
      const seen: (string | undefined)[] = [];
      r.follow(2, (f) => seen.push(f));
      r.push(frame(1) + frame(2) + frame(3));
      r.end(1);
      expect(seen).to.deep.equal([frame(3), undefined]);
    });

    it('keeps its newest frames only, at most maxChars of them: past it the oldest go (a quarter more at once), and a cursor before them is no longer followed', () => {
      expect(frame100(0)).to.have.length(100);
      const r = run('resp_a', true, 'alice', 1_000);
      const live: (string | undefined)[] = [];
      r.follow(-1, (f) => live.push(f));
      for (let n = 0; n < 10; n++) r.push(frame100(n));
      expect([r.first, r.chars, r.frames!.length]).to.deep.equal([0, 1_000, 10]);
      // One frame more: the oldest go, down to three quarters of the limit.
      r.push(frame100(10));
      expect([r.first, r.chars]).to.deep.equal([4, 700]);
      expect(r.frames).to.deep.equal([4, 5, 6, 7, 8, 9, 10].map(frame100));
      // An endless stream: never more than the limit.
      for (let n = 11; n < 500; n++) {
        r.push(frame100(n));
        expect(r.chars).to.be.at.most(1_000);
      }
      expect(r.frames!.map((f, i) => JSON.parse(f.slice(f.indexOf('data: ') + 6)).sequence_number === r.first + i)).to.not.include(false);
      // A follower that was there all along got every frame, in order.
      expect(live).to.deep.equal(Array.from({ length: 500 }, (_, n) => frame100(n)));
      expect([r.keeps(r.first - 2), r.keeps(r.first - 1), r.keeps(499), r.keeps(600)]).to.deep.equal([false, true, true, true]);
      const resumed: (string | undefined)[] = [];
      r.follow(497, (f) => resumed.push(f));
      expect(resumed).to.deep.equal([frame100(498), frame100(499)]);
      // A frame larger than the limit alone is not kept either.
      r.push(`event: e\ndata: ${'y'.repeat(2_000)}\n\n`);
      expect([r.first, r.chars, r.frames]).to.deep.equal([501, 0, []]);
      expect(run('resp_b', false).keeps(-1)).to.equal(false);
    });

    it('a run created without stream keeps no frames', () => {
      const r = run('resp_a', false);
      r.push(frame(0));
      expect(r.frames).to.equal(undefined);
    });

    it('the frames of a Responses stream are its sequence numbers, in order, whatever the events (text, reasoning, calls, usage, a failure after output)', () => {
      const decoded = decodeResponsesRequest({ model: 'm', input: 'hi', background: true, tools: [{ type: 'function', name: 'w', parameters: { type: 'object' } }] });
      const encoder = new ResponsesStreamEncoder({ call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: 'resp_x', continuation: decoded.continuation! });
      const events: LipEvent[] = [
        { type: 'response_started' }, { type: 'reasoning_delta', text: 'plan' }, { type: 'message_started' }, { type: 'text_delta', text: 'A' },
        { type: 'tool_call_started', id: 'c1', name: 'w' }, { type: 'tool_call_delta', id: 'c1', args: '{}' }, { type: 'tool_call_finished', id: 'c1' },
        { type: 'text_delta', text: 'B' }, { type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } },
      ];
      const r = run('resp_x');
      for (const event of events) r.push(encoder.event(event));
      r.push(encoder.error(new LipError('LIP_ERR_REQUEST_CANCELLED', 'cancelled')));
      expect(r.frames!.length).to.be.greaterThan(15);
      r.frames!.forEach((f, i) => expect(f).to.match(new RegExp(`^event: [a-z_.]+\\ndata: \\{"type":"[a-z_.]+","sequence_number":${i}[,}]`)));
      // Created queued (a background response), as its first retrieval shows it.
      expect(JSON.parse(r.frames![0]!.split('data: ')[1]!).response).to.deep.include({ status: 'queued', background: true });
      expect(r.frames!.at(-1)).to.match(/^event: error\n/);
    });
  });

  describe('BackgroundRuns', () => {
    let now = 0;
    let tracked: RequestState[];
    const runsOf = () => new BackgroundRuns((s) => tracked.push(s), (s) => { tracked = tracked.filter((t) => t !== s); }, () => now);
    beforeEach(() => {
      now = 1_000_000;
      tracked = [];
    });

    it('a run counts as in flight from add to finish; found by its principal only; running until it finished', () => {
      const runs = runsOf();
      const r = run('resp_a');
      runs.add(r);
      expect(tracked).to.deep.equal([r.state]);
      expect(runs.find('resp_a', 'alice')).to.equal(r);
      expect(runs.find('resp_a', 'bob')).to.equal(undefined);
      expect([runs.running('resp_a', 'alice'), runs.running('resp_a', 'bob'), runs.running('resp_b', 'alice')]).to.deep.equal([true, false, false]);
      runs.finish(r);
      runs.finish(r);
      expect(tracked).to.deep.equal([]);
      expect(r.endedAt).to.equal(now);
      expect(runs.running('resp_a', 'alice')).to.equal(false);
      // A streamed one stays findable (its stream can be resumed) ...
      expect(runs.find('resp_a', 'alice')).to.equal(r);
    });

    it('a run that ended before it was added (within the tick that made it) is never in flight', () => {
      const runs = runsOf();
      const streamed = run('resp_a');
      const whole = run('resp_b', false);
      for (const r of [streamed, whole]) {
        runs.finish(r);
        runs.add(r);
      }
      expect(tracked).to.deep.equal([]);
      expect(runs.inProgress).to.equal(0);
      expect([runs.running('resp_a', 'alice'), runs.running('resp_b', 'alice')]).to.deep.equal([false, false]);
      // The streamed one is kept as an ended one (its stream can be resumed); the other is forgotten.
      expect([runs.find('resp_a', 'alice'), runs.find('resp_b', 'alice')]).to.deep.equal([streamed, undefined]);
      expect(streamed.endedAt).to.equal(now);
      // ... and goes at the end of its retention as any ended run.
      now += BACKGROUND_RETENTION_MS + 1;
      runs.add(run('resp_c'));
      expect(runs.find('resp_a', 'alice')).to.equal(undefined);
    });

    it('a run created without stream is forgotten when it ends (its stored response answers for it)', () => {
      const runs = runsOf();
      const r = run('resp_a', false);
      runs.add(r);
      runs.finish(r);
      expect(runs.find('resp_a', 'alice')).to.equal(undefined);
      expect(runs.size).to.equal(0);
    });

    it('ended streamed runs are kept for the retention, then forgotten; running ones are never', () => {
      const runs = runsOf();
      const ended = run('resp_old');
      const running = run('resp_running');
      runs.add(running);
      runs.add(ended);
      runs.finish(ended);
      now += BACKGROUND_RETENTION_MS - 1;
      runs.add(run('resp_new'));
      expect(runs.find('resp_old', 'alice')).to.equal(ended);
      now += 1;
      runs.add(run('resp_newer'));
      expect(runs.find('resp_old', 'alice')).to.equal(undefined);
      expect(runs.find('resp_running', 'alice')).to.equal(running);
      expect(runs.size).to.equal(3);
    });

    it('at most MAX_ENDED_RUNS ended runs: the oldest go first', () => {
      const runs = runsOf();
      for (let i = 0; i <= MAX_ENDED_RUNS; i++) {
        const r = run(`resp_${i}`);
        runs.add(r);
        runs.finish(r);
      }
      expect(runs.size).to.equal(MAX_ENDED_RUNS);
      expect(runs.find('resp_0', 'alice')).to.equal(undefined);
      expect(runs.find('resp_1', 'alice')).to.not.equal(undefined);
      expect(runs.find(`resp_${MAX_ENDED_RUNS}`, 'alice')).to.not.equal(undefined);
    });

    it('at most KEPT_FRAMES.total characters of frames, running and ended runs together: ended runs go first (the oldest), then a running run forgets its oldest frames as it grows', () => {
      const runs = new BackgroundRuns((s) => tracked.push(s), (s) => { tracked = tracked.filter((t) => t !== s); }, () => now, { run: 1_000, total: 1_500 });
      const fill = (r: BackgroundRun, from: number, count: number) => { for (let n = from; n < from + count; n++) r.push(frame100(n)); };
      const ended = [0, 1].map((i) => {
        const r = new BackgroundRun(`resp_${i}`, 'alice', state(`resp_${i}`), true, () => undefined, undefined, runs.limits.run);
        runs.add(r);
        fill(r, 0, 5);
        runs.finish(r);
        return r;
      });
      const running = new BackgroundRun('resp_running', 'alice', state('resp_running'), true, () => undefined, undefined, runs.limits.run);
      runs.add(running);
      fill(running, 0, 5);
      expect(runs.keptChars).to.equal(1_500);
      // Past the total: the oldest ended run goes.
      fill(running, 5, 1);
      expect(ended.map((r) => runs.find(r.id, 'alice') === r)).to.deep.equal([false, true]);
      expect(runs.keptChars).to.equal(1_100);
      // Two running runs that never end: the other ended run goes, then each forgets its oldest frames as the total requires.
      const other = new BackgroundRun('resp_other', 'alice', state('resp_other'), true, () => undefined, undefined, runs.limits.run);
      runs.add(other);
      fill(other, 0, 5);
      expect(runs.find('resp_1', 'alice')).to.equal(undefined);
      expect(runs.keptChars).to.equal(1_100);
      for (let n = 0; n < 300; n++) {
        running.push(frame100(6 + n));
        other.push(frame100(5 + n));
        expect(runs.keptChars).to.be.at.most(1_500);
        expect(runs.keptChars).to.equal(running.chars + other.chars);
      }
      expect(running.first + other.first).to.be.greaterThan(300);
      expect([running.chars, other.chars].every((c) => c > 0 && c <= 1_000)).to.equal(true);
      // An ended run forgotten takes its frames with it.
      runs.finish(running);
      now += BACKGROUND_RETENTION_MS + 1;
      runs.add(run('resp_new'));
      expect(runs.keptChars).to.equal(other.chars);
      expect(KEPT_FRAMES).to.deep.equal({ run: 64 * 1024 * 1024, total: 256 * 1024 * 1024 });
    });

    it('a cursor before the frames a run still keeps is not followed for another instance (its client is answered that there is no stream to resume)', async () => {
      const runs = runsOf();
      const r = new BackgroundRun('resp_a', 'alice', state('resp_a'), true, () => undefined, undefined, 1_000);
      runs.add(r);
      for (let n = 0; n < 20; n++) r.push(frame100(n));
      const sink = { frames: (_: string[]) => undefined, end: () => undefined };
      const stored = async () => ({});
      expect(await followForRelay(runs, { principal: 'alice', responseId: 'resp_a', after: r.first - 2 }, sink, stored)).to.equal(undefined);
      expect(await followForRelay(runs, { principal: 'alice', responseId: 'resp_a', after: r.first - 1 }, sink, stored)).to.be.a('function');
    });

    it('a deleted response\'s run (drop) is found no more and its frames go; one still ending goes when it ends; another principal\'s is not dropped', () => {
      const runs = runsOf();
      const ended = run('resp_ended');
      const ending = run('resp_ending');
      for (const r of [ended, ending]) {
        runs.add(r);
        r.push(frame(0));
      }
      runs.finish(ended);
      expect(runs.drop('resp_ended', 'bob')).to.equal(false);
      expect(runs.drop('resp_ended', 'alice')).to.equal(true);
      expect(runs.find('resp_ended', 'alice')).to.equal(undefined);
      expect(runs.drop('resp_ended', 'alice')).to.equal(false);
      // Its record written, not ended yet: found no more at once, still in flight until it ends, then not kept.
      expect(runs.drop('resp_ending', 'alice')).to.equal(true);
      expect(runs.find('resp_ending', 'alice')).to.equal(undefined);
      expect(tracked).to.deep.equal([ending.state]);
      runs.finish(ending);
      expect(tracked).to.deep.equal([]);
      expect([runs.size, runs.keptChars, runs.inProgress]).to.deep.equal([0, 0, 0]);
    });

    it('an ended run is followed for another instance only while its response is stored (deleted on another instance since: not followed)', async () => {
      const runs = runsOf();
      const r = run('resp_a');
      runs.add(r);
      r.push(frame(0));
      const got: string[] = [];
      const sink = { frames: (f: string[]) => void got.push(...f), end: () => void got.push('end') };
      const asked: string[] = [];
      const stored = (gone: boolean) => async (id: string, principal: string) => {
        asked.push(`${principal}:${id}`);
        if (gone) throw new LipError('LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', 'gone');
        return {};
      };
      // Running: its record is not written yet, the store is not asked.
      expect(await followForRelay(runs, { principal: 'alice', responseId: 'resp_a', after: -1 }, sink, stored(true))).to.be.a('function');
      expect(asked).to.deep.equal([]);
      runs.finish(r);
      expect(got).to.deep.equal([frame(0), 'end']);
      got.length = 0;
      expect(await followForRelay(runs, { principal: 'alice', responseId: 'resp_a', after: -1 }, sink, stored(true))).to.equal(undefined);
      expect([asked, got]).to.deep.equal([['alice:resp_a'], []]);
      expect(await followForRelay(runs, { principal: 'alice', responseId: 'resp_a', after: -1 }, sink, stored(false))).to.be.a('function');
      expect(got).to.deep.equal([frame(0), 'end']);
    });
  });

  describe('followRun (a client on a socket)', () => {
    let server: Server;
    let target: BackgroundRun;
    let stalledMs = 60_000;
    let served: Promise<void> | undefined;
    before(async () => {
      server = createServer((req, res) => {
        const after = Number(new URL(req.url!, 'http://x').searchParams.get('after'));
        served = followRun(res, target, after, { contentType: 'text/event-stream', headers: { 'x-lip-a-leg-id': 'leg' }, keepaliveMs: 0, stalledMs });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = () => (server.address() as AddressInfo).port;

    it('writes the frames after the cursor and each new one, and ends the response when the run ends', async () => {
      target = run('resp_a');
      target.push(frame(0) + frame(1));
      const body = new Promise<{ status: number; type: string; leg: string; text: string }>((resolve, reject) => {
        request({ port: port(), path: '/?after=0' }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
            if (text === frame(1)) {
              target.push(frame(2));
              target.end(1);
            }
          });
          res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type']!, leg: res.headers['x-lip-a-leg-id'] as string, text }));
        }).on('error', reject).end();
      });
      expect(await body).to.deep.equal({ status: 200, type: 'text/event-stream', leg: 'leg', text: frame(1) + frame(2) });
      await served;
    });

    it('a client that leaves stops following; the run goes on for the others', async () => {
      target = run('resp_b');
      target.push(frame(0));
      await new Promise<void>((resolve, reject) => {
        const req = request({ port: port(), path: '/?after=-1' }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        }).on('error', () => undefined);
        req.on('error', reject);
        req.end();
      });
      await served;
      const seen: (string | undefined)[] = [];
      target.follow(0, (f) => seen.push(f));
      target.push(frame(1));
      expect(seen).to.deep.equal([frame(1)]);
      expect(target.endedAt).to.equal(undefined);
    });

    it('a long backlog (a resumption from the start) goes out as fast as the client reads it, whole; the run is not held back', async () => {
      target = run('resp_c');
      const big = 'x'.repeat(16 * 1024);
      // 32 MiB kept: far more than a socket buffers.
      for (let i = 0; i < 2_000; i++) target.push(`event: e\ndata: {"sequence_number":${i},"pad":"${big}"}\n\n`);
      served = undefined;
      const body = new Promise<number>((resolve, reject) => {
        const req = request({ port: port(), path: '/?after=-1' }, (res) => {
          let frames = 0;
          let carry = '';
          res.setEncoding('utf8');
          // A slow start: nothing read for a while, then everything.
          res.pause();
          setTimeout(() => res.resume(), 200);
          res.on('data', (chunk: string) => {
            const parts = (carry + chunk).split('\n\n');
            carry = parts.pop()!;
            frames += parts.length;
          });
          res.on('end', () => resolve(frames));
        });
        req.on('error', reject);
        req.end();
      });
      while (served === undefined) await new Promise((resolve) => setImmediate(resolve));
      // The run goes on meanwhile, and ends.
      target.push(frame(2_000));
      target.end(1);
      expect(await body).to.equal(2_001);
      await served;
    });

    it('a client that takes nothing for stalledMs is cut off (it can resume)', async () => {
      target = run('resp_d');
      const big = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 2_000; i++) target.push(`event: e\ndata: {"sequence_number":${i},"pad":"${big}"}\n\n`);
      stalledMs = 100;
      served = undefined;
      // It never reads (its socket stays paused, so it would not even notice the close).
      const req = request({ port: port(), path: '/?after=-1' }, (res) => res.pause());
      req.on('error', () => undefined);
      req.end();
      while (served === undefined) await new Promise((resolve) => setImmediate(resolve));
      // The server gave up on it: its following is over.
      await served;
      req.destroy();
      expect(target.endedAt).to.equal(undefined);
      stalledMs = 60_000;
    });
  });
});
