import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Chat Completions stream chunk as an upstream writes it. */
export const chatChunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'chat', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** An OpenAI Chat upstream that holds every request until the test answers it (the order a connection queue serves them). */
export interface HeldUpstream {
  readonly url: string;
  /** Requests received and not answered yet, oldest first. */
  readonly held: ServerResponse[];
  /** Requests received so far. */
  received(): number;
  /** Answers a held request with the stream `hello`. */
  answer(res: ServerResponse): void;
  close(): Promise<void>;
}

export async function startHeldUpstream(): Promise<HeldUpstream> {
  const held: ServerResponse[] = [];
  let received = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      received++;
      held.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    received: () => received,
    answer(res) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(chatChunk({ role: 'assistant', content: 'hello' }) + chatChunk({}, 'stop') + 'data: [DONE]\n\n');
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A streamed request read as it arrives: its status and headers as soon as they come, then the body. */
export function streamedRequest(url: string, body: unknown): { status?: number; contentType?: string; body: string; ended: boolean } {
  const state: { status?: number; contentType?: string; body: string; ended: boolean } = { body: '', ended: false };
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    state.status = res.statusCode;
    state.contentType = res.headers['content-type'];
    res.setEncoding('utf8');
    res.on('data', (d: string) => { state.body += d; });
    res.on('end', () => { state.ended = true; });
  });
  req.end(JSON.stringify(body));
  return state;
}
