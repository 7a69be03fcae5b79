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
