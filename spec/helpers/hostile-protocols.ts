import { expect } from 'chai';
import { isErrorCode } from '../../lib/errors/index.js';
import type { SseMessage } from '../../lib/wire/sse.js';
import { parseSse } from './sse-client.js';

/** A client-facing protocol as the hostile-input spec speaks it on the wire (no SDK). */
export interface WireProtocol {
  readonly id: 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';
  /** The request path (Gemini carries the model and the streaming choice in it). */
  path(model: string, stream: boolean): string;
  /** A small valid request body; `text` is the user's message. */
  body(model: string, stream: boolean, text?: string): Record<string, unknown>;
  /** The reply text of a successful non-streaming answer. */
  text(json: any): string;
  /** The text deltas of one stream message. */
  delta(message: SseMessage, json: any): string;
  /** The error object of an in-band error message, else undefined. */
  inbandError(message: SseMessage, json: any): unknown;
}

const user = (text: string) => [{ role: 'user', content: text }];

export const WIRE_PROTOCOLS: readonly WireProtocol[] = [
  {
    id: 'openai-chat',
    path: () => '/v1/chat/completions',
    body: (model, stream, text = 'hi') => ({ model, stream, messages: user(text) }),
    text: (json) => json.choices[0].message.content,
    delta: (_m, json) => json?.choices?.[0]?.delta?.content ?? '',
    inbandError: (_m, json) => json?.error,
  },
  {
    id: 'openai-responses',
    path: () => '/v1/responses',
    body: (model, stream, text = 'hi') => ({ model, stream, input: text }),
    text: (json) => json.output.flatMap((o: any) => o.content ?? []).filter((c: any) => c.type === 'output_text').map((c: any) => c.text).join(''),
    delta: (m, json) => (m.event === 'response.output_text.delta' ? json.delta : ''),
    inbandError: (m, json) => (m.event === 'error' ? json : undefined),
  },
  {
    id: 'anthropic',
    path: () => '/v1/messages',
    body: (model, stream, text = 'hi') => ({ model, stream, max_tokens: 64, messages: user(text) }),
    text: (json) => json.content.filter((b: any) => b.type === 'text').map((b: any) => b.text).join(''),
    delta: (m, json) => (m.event === 'content_block_delta' && json.delta?.type === 'text_delta' ? json.delta.text : ''),
    inbandError: (m, json) => (m.event === 'error' ? json.error : undefined),
  },
  {
    id: 'gemini',
    path: (model, stream) => `/v1beta/models/${encodeURIComponent(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    body: (_model, _stream, text = 'hi') => ({ contents: [{ role: 'user', parts: [{ text }] }] }),
    text: (json) => (json.candidates?.[0]?.content?.parts ?? []).map((p: any) => p.text ?? '').join(''),
    delta: (_m, json) => (json?.candidates?.[0]?.content?.parts ?? []).map((p: any) => p.text ?? '').join(''),
    inbandError: (_m, json) => json?.error,
  },
];

/** What a streamed answer carried: its text and the in-band error, if any. */
export function readStream(protocol: WireProtocol, body: string): { text: string; error: unknown } {
  let text = '';
  let error: unknown;
  for (const message of parseSse(body).messages) {
    let json: unknown;
    try { json = JSON.parse(message.data); } catch { json = undefined; }
    text += protocol.delta(message, json);
    error ??= protocol.inbandError(message, json);
  }
  return { text, error };
}

/** The reply text of an answer that must have succeeded (streamed or not). */
export function okText(protocol: WireProtocol, res: { status: number; body: string }, stream: boolean): string {
  expect(res.status, `${protocol.id}: ${res.body.slice(0, 500)}`).to.equal(200);
  if (!stream) return protocol.text(JSON.parse(res.body));
  const { text, error } = readStream(protocol, res.body);
  expect(error, `${protocol.id}: unexpected in-band error`).to.equal(undefined);
  return text;
}

/**
 * Asserts that `body` is this protocol's error envelope for `status` and returns the lip error
 * code it names (Gemini: the ErrorInfo reason; Anthropic carries none, so undefined).
 */
export function expectEnvelope(protocol: WireProtocol['id'] | 'plain', res: { status: number; body: string }, status: number): string | undefined {
  expect(res.status, res.body.slice(0, 500)).to.equal(status);
  let json: any;
  expect(() => { json = JSON.parse(res.body); }, `not JSON: ${res.body.slice(0, 200)}`).not.to.throw();
  if (protocol === 'anthropic') {
    expect(json.type).to.equal('error');
    expect(json.error.type).to.be.a('string');
    expect(json.error.message).to.be.a('string').and.not.equal('');
    return undefined;
  }
  if (protocol === 'gemini') {
    expect(json.error.code).to.equal(status);
    expect(json.error.status).to.be.a('string');
    expect(json.error.message).to.be.a('string').and.not.equal('');
    const reason = json.error.details?.find((d: any) => d['@type']?.endsWith('ErrorInfo'))?.reason;
    expect(isErrorCode(reason), `ErrorInfo reason ${reason}`).to.equal(true);
    return reason;
  }
  expect(json.error.message).to.be.a('string').and.not.equal('');
  expect(isErrorCode(json.error.code), `code ${json.error.code}`).to.equal(true);
  return json.error.code;
}

/** Asserts an in-band error object of this protocol (after output) and returns its lip code, if any. */
export function expectInbandError(protocol: WireProtocol, body: string): { text: string; code: string | undefined } {
  const { text, error } = readStream(protocol, body);
  expect(error, `${protocol.id}: no in-band error in ${body.slice(-400)}`).to.be.an('object');
  const e = error as any;
  expect(e.message ?? e.error?.message).to.be.a('string');
  const code = protocol.id === 'gemini' ? e.details?.find((d: any) => d['@type']?.endsWith('ErrorInfo'))?.reason
    : protocol.id === 'anthropic' ? undefined : e.code;
  return { text, code };
}
