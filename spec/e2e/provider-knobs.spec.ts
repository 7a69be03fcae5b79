import { HarmBlockThreshold, HarmCategory, MediaResolution } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import { useUpstreams } from '../helpers/upstreams.js';

const KNOB_FIELDS = ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'truncation'];

/**
 * The request knobs a client sets for cost and caching (`service_tier: "flex"` is half price;
 * `prompt_cache_key` routes OpenAI's cache hits) used to be dropped by lip, so a client paid more
 * and cached worse through it than direct. Through the official SDKs: they reach an upstream of
 * their own provider family, and no other one.
 */
describe('e2e: provider request knobs reach the provider they belong to', function () {
  this.timeout(20_000);
  const up = useUpstreams({
    oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, an: { kind: 'anthropic' }, gem: { kind: 'gemini' },
    gemoff: { kind: 'gemini', sharing: 'gem', extra: 'provider_options: false' },
    ocoff: { kind: 'openai-chat', sharing: 'oc', extra: 'provider_options: false' },
  });
  const emulators = up.emulators;

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const chat = (model: string) => {
      const params = { model, messages: [{ role: 'user' as const, content: 'hi' }], service_tier: 'flex' as const, prompt_cache_key: 'conv-42' };
      return stream
        ? up.openai().chat.completions.stream(params).finalChatCompletion()
        : up.openai().chat.completions.create(params);
    };

    it(`a Chat client's service_tier and prompt_cache_key reach an openai-chat upstream (${mode})`, async () => {
      const completion = await chat('oc:gpt-5.4-mini');
      expect(completion.choices[0]!.message.role).to.equal('assistant');
      expect(emulators.oc!.requests[0]!.body).to.include({ service_tier: 'flex', prompt_cache_key: 'conv-42' });
    });

    it(`... and not an anthropic one (${mode})`, async () => {
      const completion = await chat('an:claude-sonnet-4-6');
      expect(completion.choices[0]!.message.role).to.equal('assistant');
      expect(emulators.an!.requests).to.have.length(1);
      expect(emulators.an!.requests[0]!.body).not.to.have.any.keys(...KNOB_FIELDS);
    });

    it(`a Responses client's knobs reach an openai-responses upstream, and its Response echoes them (${mode})`, async () => {
      const params = { model: 'or:gpt-5.4', input: 'hi', service_tier: 'flex' as const, prompt_cache_key: 'conv-43', truncation: 'auto' as const };
      const response = stream ? await up.openai().responses.stream(params).finalResponse() : await up.openai().responses.create(params);
      expect(response).to.include({ status: 'completed', service_tier: 'flex', prompt_cache_key: 'conv-43', truncation: 'auto' });
      expect(emulators.or!.requests[0]!.body).to.include({ service_tier: 'flex', prompt_cache_key: 'conv-43', truncation: 'auto' });
    });

    it(`... and not an anthropic one (${mode})`, async () => {
      const params = { model: 'an:claude-sonnet-4-6', input: 'hi', service_tier: 'flex' as const, prompt_cache_key: 'conv-43', truncation: 'auto' as const };
      const response = stream ? await up.openai().responses.stream(params).finalResponse() : await up.openai().responses.create(params);
      expect(response.status).to.equal('completed');
      expect(emulators.an!.requests[0]!.body).not.to.have.any.keys(...KNOB_FIELDS);
    });

    it(`an Anthropic client's service_tier, inference_geo and speed reach an anthropic upstream, and not an openai-chat one (${mode})`, async () => {
      const params = (model: string) => ({
        model, max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }], service_tier: 'standard_only' as const, inference_geo: 'us', speed: 'fast' as const,
      });
      const send = (model: string) => (stream ? up.anthropic().messages.stream(params(model)).finalMessage() : up.anthropic().messages.create(params(model)));
      expect((await send('an:claude-sonnet-4-6')).role).to.equal('assistant');
      expect(emulators.an!.requests[0]!.body).to.include({ service_tier: 'standard_only', inference_geo: 'us', speed: 'fast' });
      expect((await send('oc:gpt-5.4-mini')).role).to.equal('assistant');
      expect(emulators.oc!.requests[0]!.body).not.to.have.any.keys(...KNOB_FIELDS, 'inference_geo', 'speed');
    });
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const safetySettings = [{ category: HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT, threshold: HarmBlockThreshold.BLOCK_NONE }];
    const generate = async (model: string) => {
      const params = { model, contents: 'hi', config: { safetySettings, mediaResolution: MediaResolution.MEDIA_RESOLUTION_LOW, temperature: 0.2 } };
      if (!stream) return (await up.google().models.generateContent(params)).text;
      let text = '';
      for await (const chunk of await up.google().models.generateContentStream(params)) text += chunk.text ?? '';
      return text;
    };

    it(`a Gemini client's safetySettings and mediaResolution reach a gemini upstream, not another provider nor a row with provider_options: false (${mode})`, async () => {
      expect(await generate('gem:gemini-2.5-flash')).to.be.a('string').and.not.equal('');
      const sent = emulators.gem!.requests[0]!.body;
      expect(sent.safetySettings).to.deep.equal(safetySettings);
      expect(sent.generationConfig).to.deep.include({ mediaResolution: 'MEDIA_RESOLUTION_LOW', temperature: 0.2 });
      await generate('gemoff:gemini-2.5-flash');
      expect(emulators.gem!.requests[1]!.body).not.to.have.property('safetySettings');
      expect(emulators.gem!.requests[1]!.body.generationConfig).not.to.have.property('mediaResolution');
      await generate('an:claude-sonnet-4-6');
      expect(JSON.stringify(emulators.an!.requests[0]!.body)).not.to.match(/HARM_CATEGORY|MEDIA_RESOLUTION/);
    });
  }

  it('a moderation policy reaches OpenAI upstreams from Chat and Responses clients, and a score-only one no other provider', async () => {
    const moderation = { model: 'omni-moderation-latest', policy: { input: { mode: 'block' as const }, output: { mode: 'score' as const } } };
    await up.openai().chat.completions.create({ model: 'oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], moderation });
    await up.openai().responses.create({ model: 'or:gpt-5.4-mini', input: 'hi', moderation });
    await up.openai().chat.completions.create({ model: 'or:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], moderation });
    expect(emulators.oc!.requests[0]!.body.moderation).to.deep.equal(moderation);
    expect(emulators.or!.requests[0]!.body.moderation).to.deep.equal(moderation);
    expect(emulators.or!.requests[1]!.body.moderation).to.deep.equal(moderation);
    const scored = { model: 'omni-moderation-latest', policy: { input: { mode: 'score' as const }, output: { mode: 'score' as const } } };
    await up.openai().chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }], moderation: scored });
    expect(emulators.an!.requests[0]!.body).not.to.have.property('moderation');
    const err = await up.openai().chat.completions.create({ model: 'oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], moderation: { model: 'm', policy: { input: { mode: 'warn' } } } as never }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.include({ param: 'moderation.policy.input.mode' });
  });

  it('a blocking moderation policy is a safety gate: another provider (or a row that sends no knobs) refuses it before sending (a 400 naming moderation), and a route moves on to an OpenAI candidate', async () => {
    const moderation = { model: 'omni-moderation-latest', policy: { output: { mode: 'block' as const } } };
    for (const send of [
      () => up.openai().chat.completions.create({ model: 'an:claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }], moderation }),
      () => up.openai().responses.create({ model: 'gem:gemini-2.5-flash', input: 'hi', moderation }),
      () => up.openai().chat.completions.create({ model: 'ocoff:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], moderation }),
    ]) {
      const err = await send().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).to.include('moderation');
    }
    expect(emulators.an!.requests).to.have.length(0);
    expect(emulators.gem!.requests).to.have.length(0);
    expect(emulators.oc!.requests).to.have.length(0);
    const res = await up.openai().chat.completions.create({ model: 'an:claude-sonnet-4-6|oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], moderation }).withResponse();
    expect(res.response.headers.get('x-lip-backend')).to.equal('oc:gpt-5.4-mini');
    expect(emulators.an!.requests).to.have.length(0);
    expect(emulators.oc!.requests[0]!.body.moderation).to.deep.equal(moderation);
  });

  it('a Responses client\'s max_tool_calls reaches an openai-responses upstream and its Response echoes it; another provider does without it', async () => {
    // The SDK's request and Response types lack the field (its WebSocket event has it).
    const limit = (n: number): object => ({ max_tool_calls: n });
    const echoed = (response: object) => (response as { max_tool_calls?: unknown }).max_tool_calls;
    expect(echoed(await up.openai().responses.create({ model: 'or:gpt-5.4-mini', input: 'hi', ...limit(2) }))).to.equal(2);
    expect(emulators.or!.requests[0]!.body.max_tool_calls).to.equal(2);
    expect(echoed(await up.openai().responses.stream({ model: 'or:gpt-5.4-mini', input: 'hi', ...limit(3) }).finalResponse())).to.equal(3);
    expect(emulators.or!.requests[1]!.body.max_tool_calls).to.equal(3);
    expect(echoed(await up.openai().responses.create({ model: 'or:gpt-5.4-mini', input: 'hi' }))).to.equal(null);
    expect(emulators.or!.requests[2]!.body).not.to.have.property('max_tool_calls');
    await up.openai().responses.create({ model: 'an:claude-sonnet-4-6', input: 'hi', ...limit(2) });
    expect(emulators.an!.requests[0]!.body).not.to.have.property('max_tool_calls');
    const err = await up.openai().responses.create({ model: 'or:gpt-5.4-mini', input: 'hi', ...limit(0) }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).to.deep.include({ param: 'max_tool_calls' });
    expect(emulators.or!.requests).to.have.length(3);
  });

  it('a Gemini client\'s modelArmorConfig reaches a gemini upstream as written (provider_options: false too); another provider refuses it before sending, and a route moves on', async () => {
    // The SDK sends it only in Vertex AI mode: the request is written as such a client writes it.
    const modelArmorConfig = { promptTemplateName: 'projects/p/locations/us/templates/t', responseTemplateName: 'projects/p/locations/us/templates/r' };
    const generate = (model: string, body: Record<string, unknown> = { modelArmorConfig }) => fetch(`${up.lip().url}/v1beta/models/${encodeURIComponent(model)}:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], ...body }),
    });
    expect((await generate('gem:gemini-2.5-flash')).status).to.equal(200);
    expect(emulators.gem!.requests[0]!.body.modelArmorConfig).to.deep.equal(modelArmorConfig);
    expect((await generate('gemoff:gemini-2.5-flash', { model_armor_config: { prompt_template_name: modelArmorConfig.promptTemplateName } })).status).to.equal(200);
    expect(emulators.gem!.requests[1]!.body.modelArmorConfig).to.deep.equal({ promptTemplateName: modelArmorConfig.promptTemplateName });
    const refused = await generate('an:claude-sonnet-4-6');
    expect(refused.status).to.equal(400);
    expect(await refused.text()).to.include('modelArmorConfig');
    expect(emulators.an!.requests).to.have.length(0);
    expect((await generate('an:claude-sonnet-4-6|gem:gemini-2.5-flash')).headers.get('x-lip-backend')).to.equal('gem:gemini-2.5-flash');
    expect(emulators.an!.requests).to.have.length(0);
    expect(emulators.gem!.requests[2]!.body.modelArmorConfig).to.deep.equal(modelArmorConfig);
    expect((await generate('gem:gemini-2.5-flash', { modelArmorConfig: { promptTemplateName: 7 } })).status).to.equal(400);
  });

  it('a knob of the wrong type is a 400 naming the field', async () => {
    const err = await up.openai().chat.completions.create({ model: 'oc:gpt-5.4-mini', messages: [{ role: 'user', content: 'hi' }], service_tier: 7 as never }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).to.include('service_tier');
    expect(emulators.oc!.requests).to.have.length(0);
  });
});
