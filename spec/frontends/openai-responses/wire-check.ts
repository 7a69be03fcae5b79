import { expect } from 'chai';
import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import { parseSse } from '../../helpers/sse-client.js';

export interface ResponsesEvent {
  readonly event: string;
  readonly data: Record<string, any>;
}

const TERMINAL = ['response.completed', 'response.incomplete', 'response.failed'];

/**
 * Parses a Responses SSE body and asserts what clients rely on: `event:` equals `type`;
 * `sequence_number` counts 0, 1, 2 ...; `response.created` then `response.in_progress` first;
 * `output_item.added` at the next `output_index`, each item done exactly once, with a unique id;
 * part/delta/done events name an open item by `item_id` and `output_index`, after their part
 * was added (an `output_text.annotation.added` may name a message already done); one terminal event (`completed`, `incomplete`, `failed`), only `error` after it,
 * whose response lists exactly the items done (or open, for `failed`).
 */
export function checkResponsesWire(body: string): ResponsesEvent[] {
  const events = parseSse(body).messages.map((m) => ({ event: m.event, data: JSON.parse(m.data) as Record<string, any> }));
  events.forEach((e, i) => {
    expect(e.data.type, 'event name = type').to.equal(e.event);
    expect(e.data.sequence_number, `sequence_number of event ${i}`).to.equal(i);
  });
  expect(events.slice(0, 2).map((e) => e.event)).to.deep.equal(['response.created', 'response.in_progress']);
  const items: { id: string; type: string; done: boolean; parts: Set<number> }[] = [];
  const ids = new Set<string>();
  let terminal: ResponsesEvent | undefined;
  for (const e of events.slice(2)) {
    if (terminal) {
      expect(e.event, 'only error after the terminal event').to.equal('error');
      continue;
    }
    if (TERMINAL.includes(e.event)) {
      terminal = e;
      continue;
    }
    const d = e.data;
    if (e.event === 'response.output_item.added') {
      expect(d.output_index, 'next output_index').to.equal(items.length);
      expect(ids.has(d.item.id), 'unique item id').to.equal(false);
      ids.add(d.item.id);
      items.push({ id: d.item.id, type: d.item.type, done: false, parts: new Set() });
      continue;
    }
    const item = items[d.output_index];
    expect(item, `${e.event}: item at output_index ${d.output_index}`).to.not.equal(undefined);
    // A citation reported after its message was closed (a provider that reports sources at the end) still names that message.
    const late = e.event === 'response.output_text.annotation.added' && item!.type === 'message';
    if (!late) expect(item!.done, `${e.event}: item ${d.output_index} still open`).to.equal(false);
    if (e.event === 'response.output_item.done') {
      expect(d.item.id).to.equal(item!.id);
      item!.done = true;
      continue;
    }
    expect(d.item_id, `${e.event}: item_id`).to.equal(item!.id);
    const part = d.content_index ?? d.summary_index;
    if (e.event.endsWith('part.added')) item!.parts.add(part);
    else if (part !== undefined) expect(item!.parts.has(part), `${e.event}: part ${part} was added`).to.equal(true);
  }
  expect(terminal, 'a terminal event').to.not.equal(undefined);
  const output = terminal!.data.response.output as { id: string }[];
  if (terminal!.event !== 'response.failed') expect(items.every((i) => i.done), 'every item done').to.equal(true);
  expect(output.map((o) => o.id), 'terminal output = the items').to.deep.equal(items.map((i) => i.id));
  return events;
}

/**
 * What the official SDK's ResponseStream makes of a streamed body (checked first): the final
 * Response as plain data (less `parsed`, the SDK's own addition).
 */
export async function sdkFinalResponse(wire: string): Promise<Record<string, any>> {
  const lines = checkResponsesWire(wire).map((e) => `${JSON.stringify(e.data)}\n`).join(''); // fromReadableStream reads JSON lines
  const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode(lines)); c.close(); } });
  const final = await ResponseStream.fromReadableStream(body).finalResponse();
  return JSON.parse(JSON.stringify(final, (key, value) => (key === 'parsed' ? undefined : value)));
}
