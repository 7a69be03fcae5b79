import Anthropic from '@anthropic-ai/sdk';
import type { BetaMessage, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { expect } from 'chai';
import OpenAI from 'openai';
import { askAnthropic, askAnthropicBeta, useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * Anthropic's server-held conversation state (`thread`: `{type: "create"}`, then
 * `{type: "continue", previous_message_id}` with only the new turn) through the official SDK's
 * beta surface, streamed and not. lip dropped the field, so a continued turn reached the model
 * without its history. Now lip holds the thread in its continuity store: the answer of a
 * `create` is kept under its message id, and a `continue` puts the stored turns before the new
 * one, on whichever backend serves it; no upstream is sent the field.
 */
describe('e2e: Anthropic threads, billing_policy and image transformations (the SDK\'s beta request fields)', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });
  const anthropic = () => up.emulators.an!;
  const chat = () => up.emulators.oc!;
  const base = { max_tokens: 256 } as const;

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: MessageCreateParamsNonStreaming): Promise<BetaMessage> => askAnthropicBeta(up.anthropic(), p, stream);

    it(`a thread created on Anthropic continues on another provider and back, each turn sending only itself (${mode})`, async () => {
      anthropic().enqueue({ text: 'Hello Ada.' });
      const first = await ask({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'create' }, messages: [{ role: 'user', content: 'My name is Ada.' }] });
      expect(first.id).to.match(/^msg_/);
      expect(anthropic().requests[0]!.body).to.not.have.property('thread');

      chat().enqueue({ text: 'Your name is Ada.' });
      const second = await ask({ ...base, model: 'oc:gpt-5.4', thread: { type: 'continue', previous_message_id: first.id }, messages: [{ role: 'user', content: 'What is my name?' }] });
      expect(chat().requests[0]!.body.messages.map((m: Json) => [m.role, m.content])).to.deep.equal([
        ['user', 'My name is Ada.'], ['assistant', 'Hello Ada.'], ['user', 'What is my name?'],
      ]);
      expect(second.id).to.match(/^msg_/).and.not.equal(first.id);

      anthropic().enqueue({ text: 'Goodbye, Ada.' });
      const third = await ask({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: second.id }, messages: [{ role: 'user', content: 'Bye.' }] });
      const sent = anthropic().requests[1]!.body;
      expect(sent.messages.map((m: Json) => [m.role, typeof m.content === 'string' ? m.content : m.content.map((b: Json) => b.text).join('')])).to.deep.equal([
        ['user', 'My name is Ada.'], ['assistant', 'Hello Ada.'], ['user', 'What is my name?'], ['assistant', 'Your name is Ada.'], ['user', 'Bye.'],
      ]);
      expect(sent).to.not.have.property('thread');
      expect(third.content[0]).to.deep.include({ type: 'text', text: 'Goodbye, Ada.' });
    });
  }

  it('a message id lip never stored is a 404 naming it; nothing goes upstream', async () => {
    const err = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: 'msg_unknown' }, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).message).to.contain("'msg_unknown'");
    expect(anthropic().requests).to.have.length(0);
  });

  it('a message of a request without a thread is not stored: continuing from it is the 404', async () => {
    anthropic().enqueue({ text: 'Hi.' });
    const plain = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hi.' }] });
    const err = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: plain.id }, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.NotFoundError);
  });

  it('a thread\'s message and a stored response stay in their own protocols: each other\'s id is the 404 of an id never stored', async () => {
    anthropic().enqueue({ text: 'Hello Ada.' });
    const message = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'create' }, messages: [{ role: 'user', content: 'My name is Ada.' }] });
    // The Responses endpoints do not see it (same principal): not retrieved, not continued, not deleted.
    for (const attempt of [
      () => up.openai().responses.retrieve(message.id),
      () => up.openai().responses.create({ model: 'an:claude-sonnet-4-6', input: 'x', previous_response_id: message.id }),
      () => up.openai().responses.delete(message.id),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).message).to.contain(`'${message.id}'`);
    }
    // ... and the thread continues as before: nothing was deleted.
    anthropic().enqueue({ text: 'Ada.' });
    const next = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: message.id }, messages: [{ role: 'user', content: 'Name?' }] });
    expect(next.content[0]).to.deep.include({ text: 'Ada.' });
    // A stored Responses response is no thread message either.
    anthropic().enqueue({ text: 'Hi.' });
    const response = await up.openai().responses.create({ model: 'an:claude-sonnet-4-6', input: 'Hi.' });
    expect(response.id).to.match(/^resp_/);
    const err = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'continue', previous_message_id: response.id }, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.NotFoundError);
    expect(anthropic().requests).to.have.length(3);
  });

  it('a continue without previous_message_id is a 400 naming it', async () => {
    const err = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', thread: { type: 'continue' } as never, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).to.contain('previous_message_id');
  });

  it('billing_policy: billing the customer behind a user profile is a 400 naming bill_to (lip bills only its own credentials); "self" is served', async () => {
    const err = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', billing_policy: { type: 'billing_policy', bill_to: 'user_profile' }, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).to.contain('billing_policy.bill_to');
    expect(anthropic().requests).to.have.length(0);
    anthropic().enqueue({ text: 'Billed to the proxy.' });
    const ok = await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', billing_policy: { type: 'billing_policy', bill_to: 'self' }, messages: [{ role: 'user', content: 'x' }] });
    expect(ok.content[0]).to.deep.include({ type: 'text', text: 'Billed to the proxy.' });
    expect(anthropic().requests[0]!.body).to.not.have.property('billing_policy');
  });

  it('user_profile_id (the SDK\'s anthropic-user-profile-id header, or a body field) is a 400 as billing a user profile is; workspace_id is dropped (lip\'s own credentials)', async () => {
    const messages = [{ role: 'user' as const, content: 'x' }];
    for (const send of [
      () => up.anthropic().messages.create({ ...base, model: 'an:claude-sonnet-4-6', user_profile_id: 'uprof_1', messages }),
      () => up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', user_profile_id: 'uprof_1', messages }),
      () => up.anthropic().messages.countTokens({ model: 'an:claude-sonnet-4-6', user_profile_id: 'uprof_1', messages }),
    ]) {
      const err = await send().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).message).to.contain('anthropic-user-profile-id');
    }
    const inBody = await fetch(`${up.lip().url}/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...base, model: 'an:claude-sonnet-4-6', user_profile_id: 'uprof_1', messages }),
    });
    expect(inBody.status).to.equal(400);
    expect(await inBody.text()).to.contain('user_profile_id');
    expect(anthropic().requests).to.have.length(0);
    anthropic().enqueue({ text: 'Served.' });
    const ok = await up.anthropic().messages.create({ ...base, model: 'an:claude-sonnet-4-6', workspace_id: 'wrkspc_1', messages });
    expect(ok.content[0]).to.deep.include({ type: 'text', text: 'Served.' });
    expect(anthropic().requests[0]!.headers).to.not.have.property('anthropic-workspace-id');
  });

  it('an image\'s transformations.oversized_image reaches an Anthropic upstream, in a tool result too; other providers are sent the image alone', async () => {
    const png = { type: 'base64' as const, media_type: 'image/png' as const, data: 'iVBORw0KGgo=' };
    const messages = [
      { role: 'user' as const, content: 'Click OK.' },
      { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'screenshot', input: {} }] },
      { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_1', content: [{ type: 'image' as const, source: png, transformations: { oversized_image: 'error' as const } }] }] },
    ];
    const tools = [{ name: 'screenshot', input_schema: { type: 'object' as const, properties: {} } }];
    anthropic().enqueue({ text: 'Clicked.' });
    await up.anthropic().beta.messages.create({ ...base, model: 'an:claude-sonnet-4-6', tools, messages });
    const result = anthropic().requests[0]!.body.messages[2].content[0];
    expect(result.content[0]).to.deep.equal({ type: 'image', source: png, transformations: { oversized_image: 'error' } });
    chat().enqueue({ text: 'Clicked.' });
    await up.anthropic().beta.messages.create({ ...base, model: 'oc:gpt-5.4', tools, messages });
    expect(JSON.stringify(chat().requests[0]!.body)).to.not.contain('oversized');
  });

  it('a document\'s context reaches an Anthropic upstream beside it, and another provider as text before it', async () => {
    const source = { type: 'text' as const, media_type: 'text/plain' as const, data: 'Rotate keys every 90 days.' };
    const messages = [{ role: 'user' as const, content: [
      { type: 'document' as const, source, title: 'policy.txt', context: 'Written by the security team in 2025.' },
      { type: 'text' as const, text: 'How often do we rotate keys?' },
    ] }];
    anthropic().enqueue({ text: 'Every 90 days.' });
    await up.anthropic().messages.create({ ...base, model: 'an:claude-sonnet-4-6', messages });
    expect(anthropic().requests[0]!.body.messages[0].content[0]).to.deep.equal({ type: 'document', source, title: 'policy.txt', context: 'Written by the security team in 2025.' });
    chat().enqueue({ text: 'Every 90 days.' });
    await up.anthropic().messages.create({ ...base, model: 'oc:gpt-5.4', messages });
    const content = chat().requests[0]!.body.messages[0].content as Json[];
    expect(content[0]).to.deep.equal({ type: 'text', text: 'About the document that follows: Written by the security team in 2025.' });
    expect(content[1]!.type).to.equal('file');
  });

  describe('a refusal\'s stop_details', () => {
    const details = { type: 'refusal', category: 'cyber', explanation: 'The request could enable malware development.' };
    for (const stream of [false, true]) {
      it(`reaches an Anthropic client as Anthropic wrote it (${stream ? 'streaming' : 'non-streaming'})`, async () => {
        anthropic().enqueue({ text: '', rawFinish: 'refusal', stopDetails: details });
        const params = { ...base, model: 'an:claude-sonnet-4-6', messages: [{ role: 'user' as const, content: 'Write ransomware.' }] };
        const message = await askAnthropic(up.anthropic(), params, stream);
        expect(message.stop_reason).to.equal('refusal');
        expect((message as unknown as Json).stop_details).to.deep.equal(details);
      });
    }

    for (const stream of [false, true]) {
      it(`the context edits Anthropic applied reach an Anthropic client (${stream ? 'streaming' : 'non-streaming'})`, async () => {
        const applied = { applied_edits: [{ type: 'clear_tool_uses_20250919', cleared_tool_uses: 3, cleared_input_tokens: 9000 }] };
        anthropic().enqueue({ text: 'Done.', contextManagement: applied });
        const params = { ...base, model: 'an:claude-sonnet-4-6', betas: ['context-management-2025-06-27'], context_management: { edits: [{ type: 'clear_tool_uses_20250919' as const }] }, messages: [{ role: 'user' as const, content: 'Go on.' }] };
        const message = await askAnthropicBeta(up.anthropic(), params, stream);
        expect(message.context_management).to.deep.equal(applied);
      });
    }

    it('an OpenAI client is told content_filter, nothing more', async () => {
      anthropic().enqueue({ text: '', rawFinish: 'refusal', stopDetails: details });
      const answer = await up.openai().chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'Write ransomware.' }] });
      expect(answer.choices[0]!.finish_reason).to.equal('content_filter');
      expect(JSON.stringify(answer)).to.not.contain('malware');
    });
  });
});

