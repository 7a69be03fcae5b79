import { expect } from 'chai';
import { encodeBedrockRequest, familyOfId } from '../../../lib/backends/bedrock/index.js';
import { emptyCall, REASONING_DIALECTS } from '../../../lib/canonical/index.js';
import { toLipError } from '../../../lib/errors/index.js';
import { configFrom } from '../../helpers/config.js';

const CLAUDE = 'anthropic.claude-sonnet-4-20250514-v1:0';

describe('backends/bedrock/encode-request', () => {
  // Converse takes structured output and strict tools; both were dropped, the answer free text.
  it('sends a json_schema format as outputConfig.textFormat (fitted to Claude\'s subset for a Claude model only) and strict tools inside that subset as strict', () => {
    const bounded = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false };
    const call = emptyCall({
      messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
      tools: [{ name: 'a', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true }, { name: 'b', parameters: bounded, strict: true }, { name: 'c', parameters: { type: 'object', properties: {}, additionalProperties: false } }],
      options: { responseFormat: { type: 'json_schema', schema: bounded } },
    });
    const claude = encodeBedrockRequest(call, familyOfId(CLAUDE));
    expect((claude.toolConfig as any).tools.map((t: any) => t.toolSpec.strict)).to.deep.equal([true, undefined, undefined]);
    expect(claude.outputConfig).to.deep.equal({ textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify({ ...bounded, properties: { n: { type: 'integer', description: '{minimum: 1}' } } }) } } } });
    const other = encodeBedrockRequest(call, familyOfId('qwen.qwen3-32b-v1:0'));
    expect((other.outputConfig as any).textFormat.structure.jsonSchema.schema).to.equal(JSON.stringify(bounded));
    expect(encodeBedrockRequest(emptyCall({ messages: call.messages, options: { responseFormat: { type: 'json_object' } } }), familyOfId(CLAUDE))).to.not.have.property('outputConfig');
  });

  it('maps system text, images and PDF documents inline, tool results as user toolResult blocks, and inference options', () => {
    const body = encodeBedrockRequest(emptyCall({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', parts: [
          { type: 'text', text: 'look' }, { type: 'image', url: 'data:image/jpeg;base64,AAAA' },
          { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'Q3 report.final.pdf' },
        ] },
        { role: 'assistant', parts: [{ type: 'text', text: 'calling' }, { type: 'tool_call', id: 'c1', name: 'f', arguments: '{"x":1}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'boom', isError: true }] },
        { role: 'system', parts: [{ type: 'text', text: 'Later rule.' }] },
      ],
      options: { maxOutputTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
    }), familyOfId('amazon.nova-pro-v1:0'));
    expect(body).to.deep.equal({
      messages: [
        { role: 'user', content: [{ text: 'look' }, { image: { format: 'jpeg', source: { bytes: 'AAAA' } } }, { document: { format: 'pdf', name: 'Q3 report final', source: { bytes: 'JVBERi0=' } } }] },
        { role: 'assistant', content: [{ text: 'calling' }, { toolUse: { toolUseId: 'c1', name: 'f', input: { x: 1 } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 'c1', content: [{ text: 'boom' }], status: 'error' } }] },
      ],
      system: [{ text: 'Be brief.' }, { text: 'Later rule.' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      additionalModelResponseFieldPaths: ['/stop_sequence'],
      // No tools declared: the history's tool, which Converse requires beside toolUse / toolResult blocks.
      toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] },
    });
  });

  it('replays signed reasoning and redacted reasoning first in the assistant turn; drops unsigned and foreign reasoning', () => {
    const body = encodeBedrockRequest(emptyCall({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, opaque: 'enc' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'unsigned' },
          { type: 'tool_call', id: 'c', name: 'f', arguments: '' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'why', signature: 'sig' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'b64' },
        ] },
      ],
    }), familyOfId(CLAUDE));
    expect((body.messages as { content: unknown[] }[])[1]!.content).to.deep.equal([
      { reasoningContent: { reasoningText: { text: 'why', signature: 'sig' } } }, { reasoningContent: { redactedContent: 'b64' } },
      { toolUse: { toolUseId: 'c', name: 'f', input: {} } },
    ]);
  });

  it('asks Anthropic models for extended thinking (budget from the effort, maxTokens above it, no temperature); other families get none', () => {
    const call = emptyCall({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'q' }] }], options: { reasoning: { effort: 'medium' }, temperature: 0.5, topK: 5 } });
    const claude = encodeBedrockRequest(call, familyOfId(`arn:aws:bedrock:us-east-1:1:inference-profile/us.${CLAUDE}`));
    expect(claude.additionalModelRequestFields).to.deep.equal({ thinking: { type: 'enabled', budget_tokens: 8192 } });
    expect(claude.inferenceConfig).to.deep.equal({ maxTokens: 8192 + 4096 });
    const nova = encodeBedrockRequest(call, familyOfId('amazon.nova-pro-v1:0'));
    expect(nova.additionalModelRequestFields).to.equal(undefined);
    expect(nova.inferenceConfig).to.deep.equal({ temperature: 0.5 });
  });

  // The client's limit was raised by the whole budget (max_tokens 1000 with effort high went out as
  // 17384), undoing the model catalog's clamp too; it now stays, as on the anthropic backend.
  it('keeps a limit the call set: a budget at or over it is lowered below it, or thinking left out when under 1024 tokens would remain', () => {
    const ask = (maxOutputTokens: number | undefined, effort = 'high') => encodeBedrockRequest(emptyCall({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'q' }] }], options: { reasoning: { effort }, maxOutputTokens, temperature: 0.5 } }), familyOfId(CLAUDE));
    const lowered = ask(3000);
    expect([lowered.inferenceConfig, lowered.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 3000 }, { thinking: { type: 'enabled', budget_tokens: 2999 } }]);
    // No room for the smallest budget: no thinking, so the temperature it would have left out goes.
    const dropped = ask(1000);
    expect([dropped.inferenceConfig, dropped.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 1000, temperature: 0.5 }, undefined]);
    const under = ask(20_000);
    expect([under.inferenceConfig, under.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 20_000 }, { thinking: { type: 'enabled', budget_tokens: 16384 } }]);
    const unset = ask(undefined);
    expect([unset.inferenceConfig, unset.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 16384 + 4096 }, { thinking: { type: 'enabled', budget_tokens: 16384 } }]);
  });

  it('holds the maxTokens it raises at the ceiling (the model\'s known output limit), the budget under it; sends none without thinking', () => {
    const q = [{ role: 'user' as const, parts: [{ type: 'text' as const, text: 'q' }] }];
    const xhigh = encodeBedrockRequest(emptyCall({ messages: q, options: { reasoning: { effort: 'xhigh' } } }), familyOfId(CLAUDE), false, 32000);
    expect([xhigh.inferenceConfig, xhigh.additionalModelRequestFields]).to.deep.equal([{ maxTokens: 32000 }, { thinking: { type: 'enabled', budget_tokens: 31999 } }]);
    expect(encodeBedrockRequest(emptyCall({ messages: q }), familyOfId(CLAUDE), false, 32000)).to.not.have.property('inferenceConfig');
  });

  it('puts a cachePoint after each cache-marked system part, message part and tool (not for Nova) for the models that cache; none for the others', () => {
    const call = emptyCall({
      system: [{ type: 'text', text: 'Rules.', cache: {} }],
      tools: [{ name: 'f', parameters: { type: 'object' }, cache: {} }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q', cache: { ttl: '1h' } }, { type: 'text', text: 'more' }] },
        { role: 'assistant', parts: [{ type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'hm', signature: 's' }, { type: 'text', text: 'a', cache: {} }] },
      ],
    });
    const point = { cachePoint: { type: 'default' } };
    for (const model of [CLAUDE, 'us.amazon.nova-pro-v1:0']) {
      const body = encodeBedrockRequest(call, familyOfId(model));
      expect(body.system, model).to.deep.equal([{ text: 'Rules.' }, point]);
      // Nova takes cache points in the system and the messages only.
      expect((body.toolConfig as { tools: unknown[] }).tools[1], model).to.deep.equal(model === CLAUDE ? point : undefined);
      expect(body.messages, model).to.deep.equal([
        { role: 'user', content: [{ text: 'q' }, point, { text: 'more' }] },
        { role: 'assistant', content: [{ reasoningContent: { reasoningText: { text: 'hm', signature: 's' } } }, { text: 'a' }, point] },
      ]);
    }
    expect(JSON.stringify(encodeBedrockRequest(call, familyOfId('meta.llama3-70b-instruct-v1:0')))).to.not.contain('cachePoint');
  });

  it('moves a cache mark on blank text to the block before it, as the Anthropic backend does (the blank block is left out)', () => {
    const point = { cachePoint: { type: 'default' } };
    const body = encodeBedrockRequest(emptyCall({
      system: [{ type: 'text', text: 'Rules.' }, { type: 'text', text: ' ', cache: {} }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'long doc' }, { type: 'text', text: '\n', cache: {} }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'a' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [{ type: 'text', text: 'out' }, { type: 'text', text: '', cache: {} }] }] },
      ],
    }), familyOfId(CLAUDE));
    expect(body.system).to.deep.equal([{ text: 'Rules.' }, point]);
    expect(body.messages).to.deep.equal([
      { role: 'user', content: [{ text: 'long doc' }, point] },
      { role: 'assistant', content: [{ text: 'a' }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'c', content: [{ text: 'out' }], status: 'success' } }] },
    ]);
  });

  it('trims the trailing whitespace of a final assistant turn (a prefill), a cachePoint after it aside; an earlier turn keeps its own', () => {
    const point = { cachePoint: { type: 'default' } };
    const call = emptyCall({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'one \n' }] },
        { role: 'user', parts: [{ type: 'text', text: 'again' }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'It is ', cache: {} }] },
      ],
    });
    expect(encodeBedrockRequest(call, familyOfId(CLAUDE)).messages).to.deep.equal([
      { role: 'user', content: [{ text: 'q' }] },
      { role: 'assistant', content: [{ text: 'one \n' }] },
      { role: 'user', content: [{ text: 'again' }] },
      { role: 'assistant', content: [{ text: 'It is' }, point] },
    ]);
  });

  it('asks Anthropic models for adaptive thinking when the call does (no budget, maxTokens as the call set it, no temperature)', () => {
    const call = emptyCall({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'q' }] }], options: { reasoning: { adaptive: true, effort: 'high' }, temperature: 0.5, topK: 5, maxOutputTokens: 1000 } });
    const claude = encodeBedrockRequest(call, familyOfId(CLAUDE));
    expect(claude.additionalModelRequestFields).to.deep.equal({ thinking: { type: 'adaptive' } });
    expect(claude.inferenceConfig).to.deep.equal({ maxTokens: 1000 });
    expect(encodeBedrockRequest(call, familyOfId('amazon.nova-pro-v1:0')).additionalModelRequestFields).to.equal(undefined);
  });

  it('asks no thinking of an Anthropic model when the call forces a tool call (the model refuses the two together)', () => {
    const q = [{ role: 'user' as const, parts: [{ type: 'text' as const, text: 'q' }] }];
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const forced = encodeBedrockRequest(emptyCall({ messages: q, tools, toolChoice: { type: 'tool', name: 'f' }, options: { reasoning: { effort: 'medium' }, temperature: 0.5 } }), familyOfId(CLAUDE));
    expect([forced.additionalModelRequestFields, forced.inferenceConfig]).to.deep.equal([undefined, { temperature: 0.5 }]);
    const auto = encodeBedrockRequest(emptyCall({ messages: q, tools, options: { reasoning: { effort: 'medium' } } }), familyOfId(CLAUDE));
    expect(auto.additionalModelRequestFields).to.deep.equal({ thinking: { type: 'enabled', budget_tokens: 8192 } });
  });

  it('maps tool choice, and refuses what Converse cannot take: tool_choice none with tools, image URLs', () => {
    const tools = [{ name: 'f', parameters: { type: 'object' } }];
    const q = [{ role: 'user' as const, parts: [{ type: 'text' as const, text: 'q' }] }];
    expect((encodeBedrockRequest(emptyCall({ messages: q, tools, toolChoice: { type: 'tool', name: 'f' } }), familyOfId(CLAUDE)).toolConfig as { toolChoice: unknown }).toolChoice).to.deep.equal({ tool: { name: 'f' } });
    expect((encodeBedrockRequest(emptyCall({ messages: q, tools, toolChoice: { type: 'any' } }), familyOfId(CLAUDE)).toolConfig as { toolChoice: unknown }).toolChoice).to.deep.equal({ any: {} });
    const refused = (f: () => unknown) => { try { f(); } catch (err) { return [toLipError(err).code, toLipError(err).status]; } return undefined; };
    expect(refused(() => encodeBedrockRequest(emptyCall({ messages: q, tools, toolChoice: { type: 'none' } }), familyOfId(CLAUDE)))).to.deep.equal(['LIP_ERR_REQUEST_UNSUPPORTED', 400]);
    expect(refused(() => encodeBedrockRequest(emptyCall({ messages: [{ role: 'user', parts: [{ type: 'image', url: 'https://x/y.png' }] }] }), familyOfId(CLAUDE)))).to.deep.equal(['LIP_ERR_REQUEST_UNSUPPORTED', 400]);
  });

  // Converse refuses toolUse / toolResult blocks without a toolConfig (400 ValidationException).
  it('declares the tools the history used (any input) when the call declares none, so that a conversation with tool calls can go on without tools', () => {
    const history = [
      { role: 'user' as const, parts: [{ type: 'text' as const, text: 'weather in Paris and Rome?' }] },
      { role: 'assistant' as const, parts: [{ type: 'tool_call' as const, id: 't1', name: 'get_weather', arguments: '{"city":"Paris"}' }, { type: 'tool_call' as const, id: 't2', name: 'get_weather', arguments: '{"city":"Rome"}' }, { type: 'tool_call' as const, id: 't3', name: 'get_time', arguments: '{}' }] },
      { role: 'tool' as const, parts: [{ type: 'tool_result' as const, callId: 't1', content: 'sunny' }, { type: 'tool_result' as const, callId: 't2', content: 'rain' }, { type: 'tool_result' as const, callId: 't3', content: 'noon' }] },
      { role: 'user' as const, parts: [{ type: 'text' as const, text: 'Summarise.' }] },
    ];
    const body = encodeBedrockRequest(emptyCall({ messages: history }), familyOfId(CLAUDE));
    expect(body.toolConfig).to.deep.equal({ tools: [
      { toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } },
      { toolSpec: { name: 'get_time', inputSchema: { json: { type: 'object' } } } },
    ] });
    // Declared tools are sent as they are; a conversation without tool blocks gets no toolConfig.
    const declared = encodeBedrockRequest(emptyCall({ messages: history, tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }), familyOfId(CLAUDE));
    expect((declared.toolConfig as any).tools.map((t: any) => t.toolSpec.inputSchema.json)).to.deep.equal([{ type: 'object', properties: { city: { type: 'string' } } }]);
    expect(encodeBedrockRequest(emptyCall({ messages: [history[0]!] }), familyOfId(CLAUDE))).to.not.have.property('toolConfig');
    // tool_choice none without tools: nothing to refuse, the history's tools declared (Converse has no "none").
    expect(encodeBedrockRequest(emptyCall({ messages: history, toolChoice: { type: 'none' } }), familyOfId(CLAUDE)).toolConfig).to.deep.equal(body.toolConfig);
  });

  it('config: disable_https only for a loopback base_endpoint; static keys only as a pair', () => {
    const load = (row: string) => {
      try {
        configFrom(`backends:\n  - { id: br, kind: bedrock, ${row} }`);
        return 'valid';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(load('base_endpoint: "http://127.0.0.1:9", disable_https: true')).to.equal('valid');
    expect(load('base_endpoint: "http://10.0.0.8:9", disable_https: true')).to.contain('disable_https is only allowed for a loopback base_endpoint');
    expect(load('base_endpoint: "http://10.0.0.8:9", disable_https: true, allow_insecure_non_loopback: true')).to.equal('valid');
    expect(load('disable_https: true')).to.contain('disable_https needs a base_endpoint');
    expect(load('base_endpoint: "http://127.0.0.1:9"')).to.contain('base_endpoint uses http://');
    expect(load('access_key_id: AKID')).to.contain('need both access_key_id and secret_access_key');
    expect(load('region: eu-west-1')).to.equal('valid');
    // base_url, a common row key, would be ignored and the traffic sent to AWS: refused, naming base_endpoint.
    expect(load('base_url: "http://127.0.0.1:9", access_key_id: A, secret_access_key: B')).to.match(/backends\[0\]\.base_url: a bedrock row takes no base_url: set base_endpoint/);
  });
});
