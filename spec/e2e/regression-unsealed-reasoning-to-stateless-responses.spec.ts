import { expect } from 'chai';
import type OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

const tools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false },
];

/**
 * Reasoning nothing sealed (a Chat server's reasoning text) reaches a stateless Responses client
 * as a `reasoning` item with lip's own `rs_` id, its summary and no `encrypted_content`. Handed
 * back (`store: false`, the whole history in `input`) and served after failover by an
 * openai-responses backend, it went upstream as a reasoning item with that id and no encrypted
 * content under `store: false`, which OpenAI looks up by id and refuses with a 404 ("Item with id
 * 'rs_…' not found. Items are not persisted when `store` is set to false"; the emulator refuses it
 * likewise). A stateless request now sends a reasoning item only with its encrypted content.
 */
describe('e2e: regression: unsealed reasoning handed back by a stateless Responses client is not sent as an item reference', function () {
  this.timeout(20_000);
  const up = useUpstreams({ chat: { kind: 'openai-chat', extra: 'reasoning_field: reasoning_content' }, oresp: { kind: 'openai-responses' } }, 'routing: { max_attempts: 4 }');
  const params = { model: 'chat:model-x|oresp:model-x', tools, store: false, include: ['reasoning.encrypted_content' as const], reasoning: { effort: 'low' as const, summary: 'auto' as const } };

  it('the turn after failover goes without the id-only reasoning item, and the answer comes', async () => {
    up.emulators.chat!.enqueue({ reasoning: { text: 'Let me look it up.' }, toolCalls: [{ id: 'call_C', name: 'get_weather', args: '{"city":"Rome"}' }] });
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Rome?' }];
    const t1 = await up.openai().responses.create({ ...params, input });
    const reasoning = t1.output.find((o) => o.type === 'reasoning') as Json;
    expect(reasoning, 'the reasoning a client hands back: lip\'s id, nothing encrypted').to.include({ type: 'reasoning' }).and.not.have.property('encrypted_content');
    input.push(...(t1.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: 'call_C', output: 'rainy' });

    up.emulators.chat!.enqueue({ status: 503, error: { message: 'overloaded' } });
    up.emulators.oresp!.enqueue({ text: 'Rainy.' });
    const t2 = await up.openai().responses.create({ ...params, input });
    expect(t2.output_text).to.equal('Rainy.');
    const body = up.emulators.oresp!.requests.at(-1)!.body as Json;
    expect(body.store).to.equal(false);
    expect(body.input.map((i: Json) => i.type)).to.deep.equal(['message', 'function_call', 'function_call_output']);
  });
});
