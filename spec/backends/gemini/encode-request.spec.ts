import { expect } from 'chai';
import { encodeGeminiRequest } from '../../../lib/backends/gemini/index.js';
import { REASONING_DIALECTS, emptyCall, type Call } from '../../../lib/canonical/index.js';

const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });

describe('backends/gemini/encode-request', () => {
  it('maps system, roles, media and merges consecutive turns', () => {
    expect(encodeGeminiRequest(call({
      system: [{ type: 'text', text: 'S' }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'look' }, { type: 'image', data: 'AAAA', mediaType: 'image/png' }, { type: 'file', url: 'gs://b/doc.pdf', mediaType: 'application/pdf' }] },
        { role: 'user', parts: [{ type: 'text', text: 'again' }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] },
      ],
    }))).to.deep.equal({
      systemInstruction: { parts: [{ text: 'S' }] },
      contents: [
        { role: 'user', parts: [{ text: 'look' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }, { fileData: { mimeType: 'application/pdf', fileUri: 'gs://b/doc.pdf' } }, { text: 'again' }] },
        { role: 'model', parts: [{ text: 'ok' }] },
      ],
    });
  });

  // Empty user text went as `{"text": ""}`, a part Gemini refuses ("required oneof field 'data'
  // must have one initialized field"): it is left out, and a conversation of nothing else is a 400.
  it('leaves empty user text out, and refuses a conversation of nothing else before sending', () => {
    expect(encodeGeminiRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: '' }, { type: 'text', text: 'go on' }] },
        { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] },
        { role: 'user', parts: [{ type: 'text', text: '' }] },
        { role: 'user', parts: [{ type: 'text', text: ' ' }] },
      ],
    })).contents).to.deep.equal([{ role: 'user', parts: [{ text: 'go on' }] }, { role: 'model', parts: [{ text: 'ok' }] }, { role: 'user', parts: [{ text: ' ' }] }]);
    expect(() => encodeGeminiRequest(call({ messages: [{ role: 'user', parts: [{ type: 'text', text: '' }] }] })))
      .to.throw().with.property('code', 'LIP_ERR_REQUEST_UNSUPPORTED');
  });

  // Gemini takes at most 5 stop sequences; 7 were sent on, to be refused there.
  it('sends up to 5 stop sequences and refuses more before sending, retryable (another candidate may take them)', () => {
    expect(encodeGeminiRequest(call({ options: { stopSequences: ['a', 'b', 'c', 'd', 'e'] } })).generationConfig).to.deep.equal({ stopSequences: ['a', 'b', 'c', 'd', 'e'] });
    expect(() => encodeGeminiRequest(call({ options: { stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'] } }))).to.throw()
      .that.deep.includes({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400, retryable: true })
      .and.has.property('message').that.matches(/^stop sequences \(stop, stop_sequences, generationConfig\.stopSequences\): gemini takes at most 5, the request has 6/);
  });

  // Gemini 2.x refuses tools beside a JSON response ("Function calling with a response mime type:
  // 'application/json' is unsupported"); the two were sent together, to be refused there.
  it('refuses tools beside a JSON response format for a Gemini 2.x or older model before sending, retryable; Gemini 3 and aliases get both', () => {
    const both = call({
      tools: [{ name: 'lookup', parameters: { type: 'object' } }],
      options: { responseFormat: { type: 'json_schema', schema: { type: 'object' } } },
    });
    for (const model of ['gemini-2.5-flash', 'models/gemini-2.0-flash-001', 'gemini-1.5-pro', 'gemini-pro']) {
      expect(() => encodeGeminiRequest(both, true, model), model).to.throw()
        .that.deep.includes({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', status: 400, retryable: true })
        .and.has.property('message').that.includes(`gemini model ${model} takes one or the other`);
    }
    expect(() => encodeGeminiRequest(call({ ...both, options: { responseFormat: { type: 'json_object' } } }), true, 'gemini-2.5-flash')).to.throw();
    for (const model of ['gemini-3-pro-preview', 'gemini-3.1-flash', 'gemini-flash-latest', 'gemini-pro-latest', undefined]) {
      expect(encodeGeminiRequest(both, true, model).generationConfig, String(model)).to.deep.equal({ responseMimeType: 'application/json', responseJsonSchema: { type: 'object' } });
    }
    expect(encodeGeminiRequest(call({ tools: both.tools }), true, 'gemini-2.5-flash')).to.have.property('tools');
    expect(encodeGeminiRequest(call({ options: both.options }), true, 'gemini-2.5-flash')).to.not.have.property('tools');
  });

  // An OpenAI image_url or an Anthropic URL source names no media type, and every such image went
  // as image/png, a JPEG or a WebP too. A document of no type (a Gemini client's YouTube fileData,
  // which names none) went as application/pdf: it now goes without one, as Gemini takes it.
  it('gives a URL without a media type the one its extension names, else an image image/png and a document none', () => {
    const parts = (encodeGeminiRequest(call({
      messages: [{ role: 'user', parts: [
        { type: 'image', url: 'https://example.com/cat.JPG?size=large#top' },
        { type: 'image', url: 'https://example.com/a.webp' },
        { type: 'image', url: 'https://example.com/photo' },
        { type: 'image', url: 'https://example.com/b.gif', mediaType: 'image/png' },
        { type: 'file', url: 'https://example.com/notes.txt' },
        { type: 'file', url: 'https://example.com/report' },
        { type: 'file', url: 'https://www.youtube.com/watch?v=abc' },
      ] }],
    })) as { contents: { parts: unknown[] }[] }).contents[0]!.parts;
    expect(parts).to.deep.equal([
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.JPG?size=large#top' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/a.webp' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/photo' } },
      // A type the client named wins over the extension.
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/b.gif' } },
      { fileData: { mimeType: 'text/plain', fileUri: 'https://example.com/notes.txt' } },
      { fileData: { fileUri: 'https://example.com/report' } },
      { fileData: { fileUri: 'https://www.youtube.com/watch?v=abc' } },
    ]);
  });

  // Found by probing multi-turn histories: Gemini pairs a functionResponse with its call by name and
  // position; results a client sent in another order than the calls (two calls of one tool, a Chat
  // client's tool messages b then a) had each call answered with the other's result.
  it('sends a turn\'s function responses in the order of their calls', () => {
    const contents = (encodeGeminiRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'read both' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'a', name: 'read', arguments: '{"p":"a"}' }, { type: 'tool_call', id: 'b', name: 'read', arguments: '{"p":"b"}' }, { type: 'tool_call', id: 'c', name: 'list', arguments: '{}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: 'x, y' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'b', content: [{ type: 'text', text: 'contents of b' }, { type: 'image', data: 'AAAA', mediaType: 'image/png' }] }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'a', content: 'contents of a' }] },
      ],
    })) as { contents: { parts: Record<string, any>[] }[] }).contents;
    expect(contents[2]!.parts.map((p) => p.functionResponse?.response.result ?? (p.inlineData ? 'image' : '?'))).to.deep.equal(['contents of a', 'contents of b', 'image', 'x, y']);
  });

  // Found by probing multi-turn histories: a tool loop that moved to Gemini 3 (a failover, a switch
  // of backend) sent the other provider's calls without a thought signature, which Gemini 3 refuses
  // ("Function call is missing a thought_signature"). They get Google's documented sentinel there.
  it('signs another provider\'s function calls with the skip sentinel for Gemini 3 models only', () => {
    const history = call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'go' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'hm', signature: 'anthropic-sig' },
          { type: 'tool_call', id: 'a', name: 'read', arguments: '{}', signature: 'anthropic-sig', dialect: REASONING_DIALECTS.anthropicThinking },
          { type: 'tool_call', id: 'g', name: 'list', arguments: '{}', signature: 'gemini-own', dialect: REASONING_DIALECTS.geminiThought },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'a', content: 'x' }, { type: 'tool_result', callId: 'g', content: 'y' }] },
      ],
    });
    const signatures = (model: string | undefined) => ((encodeGeminiRequest(history, true, model) as { contents: { parts: Record<string, unknown>[] }[] }).contents[1]!.parts)
      .filter((p) => p.functionCall !== undefined).map((p) => p.thoughtSignature);
    expect(signatures('gemini-3-pro-preview')).to.deep.equal(['skip_thought_signature_validator', 'gemini-own']);
    expect(signatures('models/gemini-3.1-flash')).to.deep.equal(['skip_thought_signature_validator', 'gemini-own']);
    expect(signatures('gemini-2.5-flash')).to.deep.equal([undefined, 'gemini-own']);
    expect(signatures(undefined)).to.deep.equal([undefined, 'gemini-own']);
  });

  // Found by probing Gemini 3 parallel calls: Gemini signs only the first, and lip sent the
  // unsigned siblings back with the skip sentinel, a signature Gemini never gave them.
  it('sends Gemini 3\'s unsigned parallel calls back unsigned, after the call Gemini signed in that turn', () => {
    const g = REASONING_DIALECTS.geminiThought;
    const history = (calls: { id: string; signature?: string; dialect?: string }[]) => call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'go' }] },
        { role: 'assistant', parts: calls.map((c) => ({ type: 'tool_call' as const, name: 'f', arguments: '{}', ...c })) },
        { role: 'tool', parts: calls.map((c) => ({ type: 'tool_result' as const, callId: c.id, content: 'x' })) },
      ],
    });
    const signatures = (calls: { id: string; signature?: string; dialect?: string }[]) => ((encodeGeminiRequest(history(calls), true, 'gemini-3-pro-preview') as { contents: { parts: Record<string, unknown>[] }[] }).contents[1]!.parts)
      .map((p) => p.thoughtSignature);
    expect(signatures([{ id: 'a', signature: 'ts', dialect: g }, { id: 'b' }, { id: 'c' }])).to.deep.equal(['ts', undefined, undefined]);
    expect(signatures([{ id: 'a', signature: 'ts' }, { id: 'b' }]), 'a signature without dialect is Gemini\'s').to.deep.equal(['ts', undefined]);
    // Not Gemini's siblings: unsigned calls before any Gemini-signed one, another provider's signed call.
    expect(signatures([{ id: 'a' }, { id: 'b', signature: 'ts', dialect: g }])).to.deep.equal(['skip_thought_signature_validator', 'ts']);
    expect(signatures([{ id: 'a', signature: 'ts', dialect: g }, { id: 'b', signature: 'an', dialect: REASONING_DIALECTS.anthropicThinking }])).to.deep.equal(['ts', 'skip_thought_signature_validator']);
  });

  it('puts thought signatures back where they were: thought part, following text part, function call', () => {
    const body = encodeGeminiRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: 'thinking', signature: 'ts-thought' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: '', signature: 'ts-text' },
          { type: 'text', text: 'Answer' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'foreign', signature: 'x' },
          { type: 'tool_call', id: 'c1', name: 'f', arguments: '{"a":1}', signature: 'ts-call' },
          { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, signature: 'ts-tail' },
        ] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'plain text' }] },
      ],
    }));
    expect(body.contents).to.deep.equal([
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [
        { text: 'thinking', thought: true, thoughtSignature: 'ts-thought' },
        { text: 'Answer', thoughtSignature: 'ts-text' },
        { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'ts-call' },
        { text: '', thoughtSignature: 'ts-tail' },
      ] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { result: 'plain text' } } }] },
    ]);
  });

  // Found by probing: a failed tool result (Anthropic `is_error`, a Responses or Chat client's
  // failure) whose content is a JSON object went as that object, `{message, code}` with no `error`
  // member: Gemini read it as a successful result. Its `error` key is what marks a failure.
  it('sends a failed tool result as {error: ...}: text, a JSON value, or a JSON object without an error member of its own', () => {
    const failed = (content: string) => encodeGeminiRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'weather?' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: '{"city":"P"}' }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', isError: true, content }] },
      ],
    })).contents as { parts: { functionResponse?: { response: unknown } }[] }[];
    const response = (content: string) => failed(content).at(-1)!.parts[0]!.functionResponse!.response;
    expect(response('city service down')).to.deep.equal({ error: 'city service down' });
    expect(response('[1,2]')).to.deep.equal({ error: [1, 2] });
    expect(response('{"message":"city service down","code":503}')).to.deep.equal({ error: { message: 'city service down', code: 503 } });
    // Already a failure as Gemini writes it (a Gemini client's own): as it is.
    expect(response('{"error":"Command failed: exit 1"}')).to.deep.equal({ error: 'Command failed: exit 1' });
  });

  it('sends the images and documents of tool results as parts after the functionResponses of the turn', () => {
    const body = encodeGeminiRequest(call({
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'Screenshot' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'shot', arguments: '{}' }, { type: 'tool_call', id: 'c2', name: 'read', arguments: '{}' }] },
        { role: 'tool', parts: [
          { type: 'tool_result', callId: 'c1', content: [{ type: 'text', text: 'done' }, { type: 'image', data: 'AAAA', mediaType: 'image/png' }] },
          { type: 'tool_result', callId: 'c2', content: [{ type: 'file', url: 'gs://b/r.pdf', mediaType: 'application/pdf' }] },
        ] },
      ],
    }));
    expect((body.contents as unknown[]).at(-1)).to.deep.equal({ role: 'user', parts: [
      { functionResponse: { name: 'shot', response: { result: 'done' } } },
      { functionResponse: { name: 'read', response: { result: '' } } },
      { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'gs://b/r.pdf' } },
    ] });
  });

  it('declares tools with their full JSON Schema and maps the tool choice', () => {
    const body = encodeGeminiRequest(call({ tools: [{ name: 'f', description: 'd', parameters: { type: 'object', additionalProperties: false } }], toolChoice: { type: 'tool', name: 'f' } }));
    expect(body.tools).to.deep.equal([{ functionDeclarations: [{ name: 'f', description: 'd', parametersJsonSchema: { type: 'object', additionalProperties: false } }] }]);
    expect(body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } });
    const tools = ['f', 'g', 'h'].map((name) => ({ name, parameters: { type: 'object' } }));
    const names = (b: Record<string, unknown>) => ((b.tools as { functionDeclarations: { name: string }[] }[])[0]!.functionDeclarations).map((f) => f.name);
    const any = encodeGeminiRequest(call({ tools, toolChoice: { type: 'any', allowed: ['f', 'h'] } }));
    expect([names(any), any.toolConfig]).to.deep.equal([['f', 'g', 'h'], { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f', 'h'] } }]);
    const auto = encodeGeminiRequest(call({ tools, toolChoice: { type: 'auto', allowed: ['g'] } }));
    expect([names(auto), auto.toolConfig]).to.deep.equal([['g'], { functionCallingConfig: { mode: 'AUTO' } }]);
  });

  it('sends the client\'s Gemini knobs (safety settings, media resolution) unless the row turns them off', () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }];
    const c = call({ options: { temperature: 0.1 }, providerOptions: { gemini: { safetySettings, mediaResolution: 'MEDIA_RESOLUTION_LOW' }, anthropic: { speed: 'fast' } } });
    expect(encodeGeminiRequest(c)).to.deep.include({ safetySettings, generationConfig: { temperature: 0.1, mediaResolution: 'MEDIA_RESOLUTION_LOW' } });
    const off = encodeGeminiRequest(c, false);
    expect(off).not.to.have.property('safetySettings');
    expect(off.generationConfig).to.deep.equal({ temperature: 0.1 });
    const level = (reasoning: Record<string, unknown>, knobs = true) => (encodeGeminiRequest(call({ options: { reasoning }, providerOptions: { gemini: { thinkingLevel: 'low' } } }), knobs).generationConfig as Record<string, unknown>).thinkingConfig;
    expect(level({ effort: 'low', includeThoughts: true })).to.deep.equal({ thinkingLevel: 'low', includeThoughts: true });
    expect(level({ effort: 'low', budgetTokens: 2048 })).to.deep.equal({ thinkingBudget: 2048, includeThoughts: true });
    expect(level({ effort: 'low' }, false)).to.deep.equal({ thinkingBudget: 1024, includeThoughts: true });
    const tiered = call({ providerOptions: { gemini: { serviceTier: 'flex', enhancedCivicAnswers: true } } });
    expect(encodeGeminiRequest(tiered)).to.deep.include({ serviceTier: 'flex', generationConfig: { enableEnhancedCivicAnswers: true } });
    expect(encodeGeminiRequest(tiered, false)).not.to.have.property('serviceTier');
    // Resuming an answer: the token goes whatever the knobs say.
    expect(encodeGeminiRequest(call({ providerOptions: { gemini: { continuationToken: 'tok' } } }), false)).to.deep.include({ continuationToken: 'tok' });
  });

  it('maps generation options, structured output and thinking', () => {
    const body = encodeGeminiRequest(call({ options: {
      temperature: 0.4, topP: 0.8, topK: 20, maxOutputTokens: 77, stopSequences: ['Z'], presencePenalty: 0.5, frequencyPenalty: 0.2, seed: 3,
      responseFormat: { type: 'json_schema', schema: { type: 'object' } }, reasoning: { effort: 'low' },
    } }));
    expect(body.generationConfig).to.deep.equal({
      temperature: 0.4, topP: 0.8, topK: 20, maxOutputTokens: 77, stopSequences: ['Z'], presencePenalty: 0.5, frequencyPenalty: 0.2, seed: 3,
      responseMimeType: 'application/json', responseJsonSchema: { type: 'object' }, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });
    expect(encodeGeminiRequest(call({ options: { reasoning: { budgetTokens: 0 } } })).generationConfig).to.deep.equal({ thinkingConfig: { thinkingBudget: 0 } });
    expect(encodeGeminiRequest(call({ options: { reasoning: { includeThoughts: true } } })).generationConfig).to.deep.equal({ thinkingConfig: { includeThoughts: true } });
    // An Anthropic client's thinking off: the model's default (a Gemini 2.5 Pro refuses a budget of 0).
    expect(encodeGeminiRequest(call({ options: { reasoning: { disabled: true, effort: 'low', outputEffort: true } } }))).not.to.have.property('generationConfig');
  });

  it('keeps an effort\'s budget within the Gemini 2.5 model\'s range; a budget the call gives goes as given', () => {
    const thinking = (reasoning: Record<string, unknown>, model?: string) => (encodeGeminiRequest(call({ options: { reasoning } }), true, model).generationConfig as Record<string, unknown>).thinkingConfig;
    expect(thinking({ effort: 'xhigh' }, 'gemini-2.5-flash')).to.deep.equal({ thinkingBudget: 24576, includeThoughts: true });
    expect(thinking({ effort: 'max' }, 'models/gemini-2.5-flash-lite-preview-09-2025')).to.deep.equal({ thinkingBudget: 24576, includeThoughts: true });
    expect(thinking({ effort: 'none' }, 'gemini-2.5-pro')).to.deep.equal({ thinkingBudget: 128 });
    expect(thinking({ effort: 'max' }, 'gemini-2.5-pro')).to.deep.equal({ thinkingBudget: 32768, includeThoughts: true });
    // Gemini 3 (thinking by level), an unknown model and no model: uncapped, as before.
    for (const model of ['gemini-3-pro-preview', 'my-model', undefined]) expect(thinking({ effort: 'xhigh' }, model), model).to.deep.equal({ thinkingBudget: 32768, includeThoughts: true });
    expect(thinking({ budgetTokens: 30000 }, 'gemini-2.5-flash')).to.deep.equal({ thinkingBudget: 30000, includeThoughts: true });
  });
});
