import type Anthropic from '@anthropic-ai/sdk';
import type { BetaContentBlockParam } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { expect } from 'chai';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { COMPACTION_PREAMBLE } from '../../../../lib/canonical/index.js';
import { askAnthropic, askResponses, useUpstreams } from '../../../helpers/upstreams.js';
import { SAMPLES } from './secrets-guard.spec.js';

const KEY = SAMPLES.openai_api_key!;
const REDACTED = '[REDACTED:openai_api_key]';

/**
 * A stateless Responses client's earlier turn whose reasoning summary quoted the key the user gave
 * (with its encrypted content, without which a stateless upstream is not sent the item).
 */
const REASONING_INPUT = [
  { role: 'user', content: `hi ${KEY}` },
  { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'The user wants a fix.' }, { type: 'summary_text', text: `The user key is ${KEY}` }], encrypted_content: 'enc-1' },
  { role: 'assistant', content: 'noted' },
  { role: 'user', content: 'go on' },
];

/** A plain-text document and what the client says about it, each holding the key. */
const DOCUMENT: Anthropic.DocumentBlockParam = {
  type: 'document', source: { type: 'text', media_type: 'text/plain', data: `OPENAI_API_KEY=${KEY}\n` }, title: '.env', context: `the key ${KEY} is in it`,
};

/** Anthropic compacted a conversation in which the user gave the key: the summary quotes it. */
const COMPACTION = { type: 'compaction', content: `The user set OPENAI_API_KEY=${KEY} and asked for a fix.`, encrypted_content: 'Eo4BCkYIBxgCKkBopaque-compaction-state' };
const COMPACTED: Anthropic.Beta.BetaMessageParam[] = [
  { role: 'assistant', content: [COMPACTION, { type: 'text', text: 'Fixed.' }] as BetaContentBlockParam[] },
  { role: 'user', content: 'And now?' },
];

/**
 * Found by probing: secrets-guard's redact mode read a reasoning part's text but not its summary
 * parts, which are what an openai-responses upstream is sent: a key in a Responses client's
 * reasoning summary went up as it was. The other places a call keeps the client's text beside a
 * text field are read too: a plain-text document and its context, a compaction's summary and the
 * record it came in.
 */
describe('e2e: secrets-guard reads reasoning summaries, text documents and compaction records', function () {
  this.timeout(30_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } }, 'features:\n  - { id: secrets-guard, config: { mode: redact } }');

  for (const stream of [false, true]) {
    it(`a reasoning item's summary reaches an openai-responses upstream redacted, part by part (${stream ? 'streamed' : 'whole'})`, async () => {
      up.emulators.or!.enqueue({ text: 'done' });
      const { response } = await askResponses(up.openai(), { model: 'or:gpt-5.4', input: REASONING_INPUT } as unknown as ResponseCreateParamsNonStreaming, stream);
      expect(response.output_text).to.equal('done');
      const input = up.emulators.or!.requests[0]!.body.input as Record<string, unknown>[];
      expect(JSON.stringify(input)).to.not.contain(KEY);
      expect(input.find((i) => i.type === 'reasoning')).to.deep.include({
        summary: [{ type: 'summary_text', text: 'The user wants a fix.' }, { type: 'summary_text', text: `The user key is ${REDACTED}` }],
      });
      expect(JSON.stringify(up.lip().logs)).to.not.contain(KEY);
    });
  }

  it('a plain-text document and its context reach an anthropic upstream redacted, still a text document', async () => {
    up.emulators.an!.enqueue({ text: 'done' });
    const message = await askAnthropic(up.anthropic(), { model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: [DOCUMENT, { type: 'text', text: 'What is in it?' }] }] }, true);
    expect((message.content[0] as Anthropic.TextBlock).text).to.equal('done');
    const sent = (up.emulators.an!.requests[0]!.body.messages as { content: Record<string, unknown>[] }[])[0]!.content[0]!;
    expect(JSON.stringify(sent)).to.not.contain(KEY);
    expect(sent).to.deep.include({ source: { type: 'text', media_type: 'text/plain', data: `OPENAI_API_KEY=${REDACTED}\n` }, context: `the key ${REDACTED} is in it` });
  });

  it('a compaction\'s summary reaches an anthropic upstream redacted in the block, its encrypted state as it was', async () => {
    up.emulators.an!.enqueue({ text: 'done' });
    await up.anthropic().beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, betas: ['compact-2026-01-12'], messages: COMPACTED });
    const sent = (up.emulators.an!.requests[0]!.body.messages as { content: Record<string, unknown>[] }[])[0]!.content[0];
    expect(sent).to.deep.equal({ ...COMPACTION, content: `The user set OPENAI_API_KEY=${REDACTED} and asked for a fix.` });
  });

  it('a compaction\'s summary reaches an openai-chat upstream (as the first user message) redacted', async () => {
    up.emulators.oc!.enqueue({ text: 'done' });
    await up.anthropic().beta.messages.create({ model: 'oc:gpt-5.4-mini', max_tokens: 64, messages: COMPACTED });
    const sent = up.emulators.oc!.requests[0]!.body.messages as Record<string, unknown>[];
    expect(JSON.stringify(sent)).to.not.contain(KEY);
    expect(sent[0]).to.deep.equal({ role: 'user', content: `${COMPACTION_PREAMBLE}\n\nThe user set OPENAI_API_KEY=${REDACTED} and asked for a fix.` });
  });
});
