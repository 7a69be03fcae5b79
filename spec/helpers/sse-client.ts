import { request } from 'node:http';
import { SseParser, type SseMessage } from '../../lib/wire/sse.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A plain HTTP request (no SDK), for exact wire checks. */
export function httpRequest(url: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, method: init.method ?? 'POST', headers: { 'content-type': 'application/json', ...init.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Parses an SSE body into messages, and keeps the comment lines too. */
export function parseSse(body: string): { messages: SseMessage[]; comments: string[] } {
  const parser = new SseParser();
  const messages = [...parser.push(body), ...parser.end()];
  const comments = body.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).trim());
  return { messages, comments };
}

/** A streamed request opened until its text holds `started`: its response, that text, and the whole text once the stream ends. */
export interface OpenStream {
  readonly response: Response;
  readonly head: string;
  readonly rest: Promise<string>;
}

/** POSTs `body` as JSON to `url` and reads the stream until `started` arrived (the rest is read in the background). */
export async function openStream(url: string, body: unknown, headers: Record<string, string> = {}, started = 'first'): Promise<OpenStream> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(started)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before ${JSON.stringify(started)}: ${text.slice(0, 500)}`);
    text += decoder.decode(value, { stream: true });
  }
  const head = text;
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { response, head, rest };
}

/**
 * A streamed Chat request (`model`, one user message `content`) on a connection of its own,
 * collected whole: `started` resolves at its first bytes, `done` with the whole body (or the
 * connection's error: a stop that cuts it).
 */
export function collectChatStream(url: string, model: string, content = 'x'): { started: Promise<void>; done: Promise<string> } {
  let onStart!: () => void;
  const started = new Promise<void>((r) => { onStart = r; });
  const done = new Promise<string>((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; onStart(); });
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model, stream: true, messages: [{ role: 'user', content }] }));
  });
  return { started, done };
}
