import type { ResponsesWS } from 'openai/resources/responses/ws';
import type { ResponsesClientEvent, ResponsesServerEvent } from 'openai/resources/responses/responses';

type Json = Record<string, any>;

/** One turn's events on a Responses WebSocket connection, up to its end (completed, incomplete, failed) or an error message. */
export function wsTurn(ws: ResponsesWS, event: ResponsesClientEvent): Promise<Json[]> {
  return wsTurns(ws, () => ws.send(event));
}

/** The events of `turns` turns that `start` begins on a connection, up to the last one's end. */
export function wsTurns(ws: ResponsesWS, start: () => void, turns = 1): Promise<Json[]> {
  return new Promise((resolve, reject) => {
    const events: Json[] = [];
    let left = turns;
    const onEvent = (event: ResponsesServerEvent | Json) => {
      events.push(event as Json);
      if (['response.completed', 'response.incomplete', 'response.failed', 'error'].includes(String(event.type)) && --left === 0) {
        ws.off('event', onEvent);
        resolve(events);
      }
    };
    ws.on('event', onEvent);
    ws.on('error', () => undefined); // error messages also arrive as events
    ws.on('close', (code) => { if (left > 0) reject(new Error(`closed (${code}) before the turn ended`)); });
    start();
  });
}
