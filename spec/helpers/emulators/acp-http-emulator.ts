import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An ACP agent served over HTTP as the `acp` backend's `transport: http` expects: every JSON-RPC
 * message is one `POST /v1/acp`; a request is answered with an NDJSON body (the turn's
 * `session/update` lines, then the result line); a notification or an answer of ours gets 204.
 * Faults per emulator: `slow` (a prompt writes nothing until `session/cancel` arrives),
 * `permission` (the prompt's body carries a `session/request_permission` request that lip
 * answers with a POST of its own), `status` (every prompt answered with that HTTP status),
 * `cutFirst` (the first prompt's answer breaks off after its first update line, and the agent
 * then forgets its sessions, as a restarted agent server does), `flood` (a prompt is answered with 80
 * message chunks of 256 KiB, each written once the one before has drained: a reader that stops
 * reading stops it; `flood` counts what it wrote). `restart()` makes it forget its
 * sessions between turns, as an agent server restarted while idle does; a prompt for a session it
 * does not know is answered -32602 "Session not found".
 */
export interface AcpHttpEmulator {
  readonly url: string;
  /** Every JSON-RPC message received, in order. */
  readonly messages: Record<string, any>[];
  /** The `authorization` and `x-team` headers of each POST, in order. */
  readonly headers: { authorization?: string; team?: string }[];
  /** Prompt responses the client closed before they ended. */
  readonly closes: number[];
  /** With `flood`: the chunks written so far, and whether the writer waits for the reader to drain them. */
  readonly flood: { written: number; waiting: boolean };
  /** Forgets every session, as the agent server does when it restarts. */
  restart(): void;
  close(): Promise<void>;
}

export interface AcpHttpFaults {
  readonly slow?: boolean;
  readonly permission?: boolean;
  readonly status?: number;
  readonly cutFirst?: boolean;
  readonly flood?: boolean;
}

export async function startAcpHttpEmulator(faults: AcpHttpFaults = {}): Promise<AcpHttpEmulator> {
  const messages: Record<string, any>[] = [];
  const closes: number[] = [];
  const headers: { authorization?: string; team?: string }[] = [];
  const flood = { written: 0, waiting: false };
  const waiting = new Map<number, (answer: Record<string, any>) => void>();
  let pendingPrompt: { res: ServerResponse; id: unknown; sid: string } | undefined;
  let sessions = 0;
  let cut = false;
  /** Sessions the agent knows (a cut answer stands for a restart: it forgets them). */
  const known = new Set<string>();
  const line = (res: ServerResponse, message: Record<string, unknown>) => res.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const answer = (res: ServerResponse, message: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    line(res, message);
    res.end();
  };

  const prompt = async (res: ServerResponse, message: Record<string, any>) => {
    const sid = message.params.sessionId as string;
    const text = (message.params.prompt as { text: string }[]).map((b) => b.text).join('\n');
    if (faults.status) {
      res.writeHead(faults.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'agent unavailable' }));
      return;
    }
    if (!known.has(sid)) return answer(res, { id: message.id, error: { code: -32602, message: `Session not found: ${sid}` } });
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.on('close', () => { if (!res.writableFinished) closes.push(message.id); });
    if (faults.cutFirst && !cut) {
      cut = true;
      known.clear();
      line(res, { method: 'session/update', params: { sessionId: sid, update: { sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'Consid' } } } });
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
      return;
    }
    if (faults.flood) {
      const update = { method: 'session/update', params: { sessionId: sid, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'z'.repeat(256 * 1024) } } } };
      const pump = (): void => {
        flood.waiting = false;
        while (flood.written < 80 && !res.destroyed) {
          flood.written++;
          if (!line(res, update)) {
            flood.waiting = true;
            return void res.once('drain', pump);
          }
        }
        if (res.destroyed) return;
        line(res, { id: message.id, result: { stopReason: 'end_turn' } });
        res.end();
      };
      return pump();
    }
    if (faults.slow) {
      pendingPrompt = { res, id: message.id, sid };
      res.flushHeaders();
      return;
    }
    let prefix = '';
    if (faults.permission) {
      const asked = new Promise<Record<string, any>>((resolve) => waiting.set(7001, resolve));
      line(res, { id: 7001, method: 'session/request_permission', params: { sessionId: sid, toolCall: { toolCallId: 't' }, options: [{ optionId: 'ok', kind: 'allow_always' }, { optionId: 'nope', kind: 'reject_always' }] } });
      prefix = `permission=${(await asked).result.outcome.optionId} `;
    }
    line(res, { method: 'session/update', params: { sessionId: sid, update: { sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'Considering.' } } } });
    line(res, { method: 'session/update', params: { sessionId: sid, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: `${prefix}over http: ${text}` } } } });
    line(res, { id: message.id, result: { stopReason: 'end_turn' } });
    res.end();
  };

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/acp') {
      res.writeHead(404).end();
      return;
    }
    headers.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(typeof req.headers['x-team'] === 'string' ? { team: req.headers['x-team'] } : {}) });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      const message = JSON.parse(body) as Record<string, any>;
      messages.push(message);
      if (message.method === undefined) {
        waiting.get(message.id)?.(message);
        res.writeHead(204).end();
        return;
      }
      switch (message.method) {
        case 'initialize': return answer(res, { id: message.id, result: { protocolVersion: 1, agentCapabilities: {}, authMethods: [] } });
        case 'session/new': {
          const sessionId = `http-sess-${++sessions}`;
          known.add(sessionId);
          return answer(res, { id: message.id, result: { sessionId } });
        }
        case 'session/prompt': return void prompt(res, message);
        case 'session/cancel':
          res.writeHead(204).end();
          if (pendingPrompt) {
            line(pendingPrompt.res, { id: pendingPrompt.id, result: { stopReason: 'cancelled' } });
            pendingPrompt.res.end();
            pendingPrompt = undefined;
          }
          return;
        default:
          return answer(res, { id: message.id, error: { code: -32601, message: 'method not found' } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    headers,
    closes,
    flood,
    restart: () => known.clear(),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
