import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator,
  type Emulator, type RecordedRequest, type Script,
} from './emulators/index.js';
import { okText, WIRE_PROTOCOLS, type WireProtocol } from './hostile-protocols.js';
import { serveLip, type LipProcess } from './spawn-lip.js';
import { httpRequest, type RawResponse } from './sse-client.js';

/** The localstub reply every "is it still alive" request expects. */
export const STUB_TEXT = 'hello there';
/** `server.max_request_body_bytes` of the rig: small, but above a 100,000-level nested array. */
export const BODY_LIMIT = 300 * 1024;
/** `http_client.max_line_bytes` of the rig: a 10 MB upstream line is far beyond it. */
export const LINE_LIMIT = 1024 * 1024;
/** The backend id of each protocol's emulator in the rig config. */
export const UPSTREAM: Readonly<Record<WireProtocol['id'], string>> = { 'openai-chat': 'oc', 'openai-responses': 'or', anthropic: 'an', gemini: 'ge' };

/**
 * What the emulators answer, by model: `huge` / `huge-after` send a 10 MB single SSE line before
 * / after the first output, `huge-open` a 10 MB line that never ends, `endless` streams until
 * the client closes, `busy503` answers 503, `slow*` never produce a token, anything else answers
 * "upstream ok".
 */
export function scriptFor(request: RecordedRequest): Script {
  const model = request.model ?? '';
  if (model === 'huge') return { text: ['never'], fault: { hugeLine: { bytes: 10_000_000 } } };
  if (model === 'huge-after') return { text: ['first ', 'never'], fault: { hugeLine: { bytes: 10_000_000, afterOutput: true } } };
  if (model === 'huge-open') return { text: ['never'], fault: { hugeLine: { bytes: 10_000_000, terminated: false } } };
  if (model === 'endless') return { text: ['tick '], fault: { endless: true } };
  if (model === 'busy503') return { status: 503, error: { message: 'overloaded' } };
  if (model.startsWith('slow')) return { text: 'slow', fault: { stall: 'before_first_token' } };
  return { text: ['upstream ', 'ok'] };
}

/** A spawned `lip serve` over the four emulators, re-spawned when a case killed it. */
export interface HostileRig {
  readonly lip: LipProcess & { url: string };
  readonly url: string;
  readonly emulators: Readonly<Record<WireProtocol['id'], Emulator>>;
  /** Exits seen (one line each, with the tail of stderr). */
  readonly deaths: string[];
  /** Re-spawns lip if the previous case ended the process. */
  ensureRunning(): Promise<void>;
  /** Asserts the process is alive and every protocol answers a normal request correctly. */
  alive(): Promise<void>;
  /** POSTs a JSON body (the protocol's small valid request unless `body` is given). */
  send(protocol: WireProtocol, model: string, stream: boolean, init?: { headers?: Record<string, string>; body?: unknown }): Promise<RawResponse>;
  close(): Promise<void>;
}

/** Starts the four emulators and a spawned `lip serve`; `serverKeys` adds keys to its `server:` section. */
export async function startHostileRig(serverKeys = ''): Promise<HostileRig> {
  const emulators = {
    'openai-chat': await startOpenAIChatEmulator(),
    'openai-responses': await startOpenAIResponsesEmulator(),
    anthropic: await startAnthropicEmulator(),
    gemini: await startGeminiEmulator(),
  };
  for (const e of Object.values(emulators)) e.handler = scriptFor;
  const dir = mkdtempSync(join(tmpdir(), 'lip-hostile-'));
  const config = join(dir, 'lip.yaml');
  writeFileSync(config, `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, max_request_body_bytes: ${BODY_LIMIT}${serverKeys ? `, ${serverKeys}` : ''} }
logging: { level: info, format: json, access_log: true }
http_client: { max_line_bytes: ${LINE_LIMIT} }
routing: { default_route: "stub:m", max_attempts: 16 }
backends:
  - { id: stub, kind: localstub, text: "${STUB_TEXT}", chunks: 2 }
  - { id: oc, kind: openai-chat, base_url: "${emulators['openai-chat'].url}", api_key: "k-0123456789" }
  - { id: or, kind: openai-responses, base_url: "${emulators['openai-responses'].url}", api_key: "k-0123456789" }
  - { id: an, kind: anthropic, base_url: "${emulators.anthropic.url}", api_key: "k-0123456789" }
  - { id: ge, kind: gemini, base_url: "${emulators.gemini.url}", api_key: "k-0123456789" }
`);
  let lip = await serveLip(['--config', config]);
  const deaths: string[] = [];
  const dead = () => lip.proc.exitCode !== null || lip.proc.signalCode !== null;
  const rig: HostileRig = {
    get lip() { return lip; },
    get url() { return lip.url; },
    emulators,
    deaths,
    async ensureRunning() {
      if (!dead()) return;
      deaths.push(`exit ${lip.proc.exitCode ?? lip.proc.signalCode}: ${lip.stderr().slice(-600)}`);
      lip = await serveLip(['--config', config]);
    },
    async alive() {
      expect(dead(), `lip serve exited (${lip.proc.exitCode ?? lip.proc.signalCode}):\n${lip.stderr().slice(-2000)}`).to.equal(false);
      expect((await httpRequest(`${lip.url}/healthz`, { method: 'GET' })).status).to.equal(200);
      for (const p of WIRE_PROTOCOLS) expect(okText(p, await rig.send(p, 'stub:m', false), false), p.id).to.equal(STUB_TEXT);
    },
    send(protocol, model, stream, init = {}) {
      return httpRequest(`${lip.url}${protocol.path(model, stream)}`, { body: JSON.stringify(init.body ?? protocol.body(model, stream)), ...(init.headers ? { headers: init.headers } : {}) });
    },
    async close() {
      if (!dead()) {
        lip.proc.kill('SIGTERM');
        await lip.exited;
      }
      await Promise.all(Object.values(emulators).map((e) => e.close()));
    },
  };
  return rig;
}

/** Polls `check` every 20 ms until it holds, or fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
