import OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { until } from '../hostile-rig.js';

/**
 * The other two ways an OpenAI Responses client sends a request (besides HTTP, the drivers'):
 * as a turn of a WebSocket connection and as a background response. Used by the properties
 * that compare what lip records and reports with what the client did.
 */

/**
 * One turn (a user's "Hi" to `model`) on a new Responses WebSocket connection (the official
 * SDK's `ResponsesWS`), up to its last event; `leave`: the client closes the connection at the
 * turn's first text instead.
 */
export async function websocketTurn(url: string, apiKey: string, model: string, leave = false): Promise<void> {
  const ws = new ResponsesWS(new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 }));
  try {
    await new Promise<void>((resolve, reject) => {
      ws.on('event', (event) => {
        if (['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(String(event.type))) resolve();
        else if (leave && event.type === 'response.output_text.delta') {
          ws.close();
          resolve();
        }
      });
      ws.on('error', () => undefined); // error messages arrive as events too
      ws.socket.on('close', () => resolve());
      ws.socket.on('error', reject);
      ws.socket.on('open', () => ws.send({ type: 'response.create', model, input: 'Hi' }));
    });
  } finally {
    ws.close();
  }
}

/**
 * A background response (a user's "Hi" to `model`, the official SDK, sent with `requestId`),
 * retrieved until its run ended; `cancel`: cancelled (`POST /v1/responses/{id}/cancel`) a
 * moment after it started running. Rejects when the create is refused (an HTTP answer).
 */
export async function backgroundRun(url: string, apiKey: string, model: string, requestId: string, cancel = false): Promise<void> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
  const created = await client.responses.create({ model, input: 'Hi', background: true }, { headers: { 'x-request-id': requestId } });
  if (cancel) {
    await until(async () => (await client.responses.retrieve(created.id)).status !== 'queued', `background response ${created.id} running`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await client.responses.cancel(created.id);
  }
  await until(async () => !['queued', 'in_progress'].includes((await client.responses.retrieve(created.id)).status ?? ''), `background response ${created.id} ended`);
}

/** Retrieves `id` until it leaves `queued` and `in_progress` (a background response ends on its own). */
export async function settled(client: OpenAI, id: string): Promise<Response> {
  for (let i = 0; i < 1_000; i++) {
    const response = await client.responses.retrieve(id);
    if (response.status !== 'queued' && response.status !== 'in_progress') return response;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${id} did not end`);
}
