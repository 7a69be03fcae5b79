/**
 * The soak's traffic: what the emulated upstreams answer, the kinds of request the soak sends,
 * and how each answer is judged. Every kind says what a correct answer is; a request that
 * should have succeeded and did not, or that got no answer at all, is "lost".
 */
import { Agent, request } from 'node:http';
import type { RecordedRequest, Script } from '../spec/helpers/emulators/index.js';
import { readStream, WIRE_PROTOCOLS, type WireProtocol } from '../spec/helpers/hostile-protocols.js';

export const UPSTREAM_TEXT = 'The quick brown fox jumps over the lazy dog, then naps in the sun.';
/** The backend id of each protocol's emulator in the soak config. */
export const UPSTREAM: Readonly<Record<WireProtocol['id'], string>> = { 'openai-chat': 'oc', 'openai-responses': 'or', anthropic: 'an', gemini: 'ge' };

const words = UPSTREAM_TEXT.split(/(?<= )/);
/** Fixed script objects, so the emulators' frame cache serves them without re-encoding. */
const SCRIPTS: Record<string, Script> = {
  ok: { text: words, usage: { input: 12, output: 14 } },
  busy: { status: 503, error: { message: 'overloaded' } },
  slow: { text: 'never', fault: { stall: 'before_first_token' } },
  long: { text: Array.from({ length: 60 }, () => 'tick '), dripMs: 25, usage: { input: 12, output: 60 } },
  cut: { text: words, fault: { reset: 'after_output' } },
  reset0: { text: 'never', fault: { reset: 'before_first_byte' } },
};

/** The emulators' handler: the script named by the model. */
export function soakScript(req: RecordedRequest): Script {
  return SCRIPTS[req.model ?? ''] ?? SCRIPTS.ok!;
}

/** What a correct answer looks like. */
export type Expect = 'success' | 'inband-error' | 'aborted';

export interface Planned {
  readonly kind: string;
  readonly protocol: WireProtocol;
  readonly model: string;
  readonly stream: boolean;
  readonly expect: Expect;
  /** Another backend must serve (failover): its `X-LIP-Backend`. */
  readonly servedBy?: string;
}

/** Kinds and their relative weights. */
export const KINDS: readonly [string, number][] = [
  ['plain', 5], ['stream', 5], ['failover', 3], ['race', 3], ['abort', 2], ['upstream-reset', 1], ['reset-failover', 1], ['stub', 2],
];

/** A deterministic PRNG (mulberry32), so two soak runs send the same mix. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Picks the next request: a kind by weight (among `kinds`), a protocol, and another protocol's
 * upstream for failovers and races.
 */
export function plan(random: () => number, kinds: readonly [string, number][] = KINDS): Planned {
  let roll = random() * kinds.reduce((n, [, w]) => n + w, 0);
  const kind = kinds.find(([, w]) => (roll -= w) < 0)?.[0] ?? kinds[0]![0];
  const protocol = WIRE_PROTOCOLS[Math.floor(random() * WIRE_PROTOCOLS.length)]!;
  const other = UPSTREAM[WIRE_PROTOCOLS[Math.floor(random() * WIRE_PROTOCOLS.length)]!.id];
  const up = UPSTREAM[protocol.id];
  const stream = random() < 0.5;
  switch (kind) {
    case 'stream': return { kind, protocol, model: `${up}:ok`, stream: true, expect: 'success' };
    case 'failover': return { kind, protocol, model: `${up}:busy|${other}:ok`, stream, expect: 'success', servedBy: `${other}:ok` };
    case 'race': return { kind, protocol, model: `${up}:slow!${other}:ok`, stream, expect: 'success', servedBy: `${other}:ok` };
    case 'abort': return { kind, protocol, model: `${up}:long`, stream: true, expect: 'aborted' };
    case 'upstream-reset': return { kind, protocol, model: `${up}:cut`, stream: true, expect: 'inband-error' };
    case 'reset-failover': return { kind, protocol, model: `${up}:reset0|${other}:ok`, stream, expect: 'success', servedBy: `${other}:ok` };
    case 'stub': return { kind, protocol, model: 'stub:m', stream, expect: 'success', servedBy: 'stub:m' };
    default: return { kind: 'plain', protocol, model: `${up}:ok`, stream: false, expect: 'success' };
  }
}

export interface Outcome {
  /** The answer was what the kind expects. */
  readonly ok: boolean;
  /** No answer at all (socket error, timeout) or a wrong one where success was due. */
  readonly lost: boolean;
  readonly detail?: string;
}

/** Sends one planned request and judges the answer. */
export function send(agent: Agent, base: string, p: Planned, timeoutMs = 30_000): Promise<Outcome> {
  // Responses requests say `store: false`: stored responses are a cache bounded by bytes (256 MiB
  // in the memory store) and `continuity.ttl` (24 h), which fills throughout any shorter run.
  const fields = p.protocol.body(p.model, p.stream, 'Tell me about foxes.');
  const body = JSON.stringify(p.protocol.id === 'openai-responses' ? { ...fields, store: false } : fields);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = request(`${base}${p.protocol.path(p.model, p.stream)}`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (p.expect === 'aborted' && res.statusCode === 200 && text.includes('tick')) {
          req.destroy();
          done({ ok: true, lost: false });
        }
      });
      res.on('end', () => done(judge(p, res.statusCode ?? 0, String(res.headers['x-lip-backend'] ?? ''), text)));
      res.on('error', () => undefined);
    });
    const timer = setTimeout(() => { req.destroy(); done({ ok: false, lost: true, detail: `no answer within ${timeoutMs} ms` }); }, timeoutMs);
    req.on('error', (err) => done({ ok: false, lost: true, detail: `socket: ${err.message}` }));
    req.end(body);
  });
}

function judge(p: Planned, status: number, backend: string, body: string): Outcome {
  const wrong = (detail: string): Outcome => ({ ok: false, lost: p.expect !== 'inband-error', detail: `${p.kind} ${p.protocol.id} ${p.model}: ${detail}` });
  if (status !== 200) return wrong(`status ${status}: ${body.slice(0, 200)}`);
  if (p.servedBy && backend !== p.servedBy) return wrong(`served by ${backend}, expected ${p.servedBy}`);
  const want = p.model === 'stub:m' ? 'hello from the soak stub' : UPSTREAM_TEXT;
  let text: string;
  let error: unknown;
  try {
    ({ text, error } = p.stream ? readStream(p.protocol, body) : { text: p.protocol.text(JSON.parse(body)), error: undefined });
  } catch (err) {
    return wrong(`unreadable answer (${(err as Error).message}): ${body.slice(0, 200)}`);
  }
  if (p.expect === 'inband-error') return error !== undefined ? { ok: true, lost: false } : wrong('no in-band error after an upstream reset');
  if (p.expect === 'aborted') return wrong('the stream ended before the client aborted it');
  if (error !== undefined) return wrong(`in-band error ${JSON.stringify(error).slice(0, 200)}`);
  return text === want ? { ok: true, lost: false } : wrong(`text ${JSON.stringify(text.slice(0, 80))}`);
}
