import { expect } from 'chai';
import { REASONING_DIALECTS } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { decodeGenerateContent, geminiFrontend } from '../../../lib/frontends/gemini/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const decode = (body: Record<string, unknown>, stream = false) => decodeGenerateContent(body, 'gemini-x', stream).call;
const user = (text: string) => ({ role: 'user', parts: [{ text }] });

function decodeError(body: unknown): LipError {
  return refusalOf(() => decodeGenerateContent(body, 'm', false));
}

describe('frontends/gemini decodeGenerateContent', () => {
  it('matches model ids that contain ":" and "/" (percent-encoded or not) and picks the method', () => {
    const [generate, stream] = geminiFrontend.routes;
    expect(generate!.match!('/v1beta/models/stub:stub-default:generateContent')).to.deep.equal({ model: 'stub:stub-default' });
    expect(generate!.match!('/v1beta/models/openrouter:meta/llama-3:8b:generateContent')).to.deep.equal({ model: 'openrouter:meta/llama-3:8b' });
    expect(generate!.match!('/v1beta/models/stub%3Astub-default:generateContent')).to.deep.equal({ model: 'stub:stub-default' });
    expect(generate!.match!('/v1/models/gemini-2.5-flash:generateContent')).to.deep.equal({ model: 'gemini-2.5-flash' });
    expect(generate!.match!('/v1beta/models/x:streamGenerateContent')).to.equal(undefined);
    expect(stream!.match!('/v1beta/models/x:streamGenerateContent')).to.deep.equal({ model: 'x' });
    expect(stream!.match!('/v1beta/models/x:countTokens')).to.equal(undefined);
    expect(generate!.match!('/v1beta/models')).to.equal(undefined);
  });

  it('streams SSE with alt=sse, a JSON array with alt=json or none, and refuses alt=proto (a JSON answer would not parse)', () => {
    const [generate, stream] = geminiFrontend.routes;
    const body = { contents: [user('hi')] };
    const decodeWith = (route: typeof stream, alt?: string) => route!.decode(body, { params: { model: 'x' }, query: new URLSearchParams(alt === undefined ? '' : `alt=${alt}`), headers: {} });
    expect(decodeWith(stream, 'sse').hints?.jsonArray).to.equal(undefined);
    expect(decodeWith(stream, 'json').hints?.jsonArray).to.equal(true);
    expect(decodeWith(stream).hints?.jsonArray).to.equal(true);
    expect(decodeWith(generate, 'json').call.stream).to.equal(false);
    for (const route of [generate, stream]) {
      let refused: unknown;
      try { decodeWith(route, 'proto'); } catch (err) { refused = err; }
      expect(refused).to.be.instanceOf(LipError);
      expect((refused as LipError).code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
      expect((refused as LipError).message).to.equal('alt: must be sse or json (got "proto"); protobuf answers are not supported');
    }
  });

  it('carries safetySettings and generationConfig.mediaResolution as Gemini knobs (snake_case too); a malformed setting is a 400 naming it', () => {
    const safety = [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', threshold: 'BLOCK_ONLY_HIGH' }, { category: 'HARM_CATEGORY_HARASSMENT', threshold: 'OFF', method: 'PROBABILITY' }];
    const contents = [{ role: 'user', parts: [{ text: 'x' }] }];
    expect(decode({ contents, safetySettings: safety, generationConfig: { mediaResolution: 'MEDIA_RESOLUTION_HIGH' } }).providerOptions)
      .to.deep.equal({ gemini: { safetySettings: safety, mediaResolution: 'MEDIA_RESOLUTION_HIGH' } });
    expect(decode({ contents, safety_settings: safety.slice(0, 1) }).providerOptions).to.deep.equal({ gemini: { safetySettings: safety.slice(0, 1) } });
    expect(decode({ contents, safetySettings: [] })).not.to.have.property('providerOptions');
    expect(decode({ contents, generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } })).to.deep.include({ providerOptions: { gemini: { thinkingLevel: 'HIGH' } } });
    expect(decodeError({ contents, safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT' }] })).to.deep.include({ status: 400, param: 'safetySettings[0].threshold' });
    expect(decode({ contents, serviceTier: 'flex', generationConfig: { enableEnhancedCivicAnswers: true } }).providerOptions).to.deep.equal({ gemini: { serviceTier: 'flex', enhancedCivicAnswers: true } });
    expect(decode({ contents, service_tier: 'priority' }).providerOptions).to.deep.equal({ gemini: { serviceTier: 'priority' } });
    expect(decodeError({ contents, serviceTier: 3 })).to.deep.include({ status: 400, param: 'serviceTier' });
  });

  it('maps systemInstruction, generationConfig (thinking, JSON output) and the path model and mode', () => {
    const call = decode({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [user('hi')],
      generationConfig: {
        temperature: 0.2, topP: 0.9, topK: 32, maxOutputTokens: 100, stopSequences: ['END'], seed: 7, presencePenalty: 0.5,
        responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING', nullable: true } } },
        thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
      },
    }, true);
    expect(call).to.deep.include({ model: 'gemini-x', stream: true });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'Be brief.' }]);
    expect(call.options).to.deep.equal({
      temperature: 0.2, topP: 0.9, topK: 32, maxOutputTokens: 100, stopSequences: ['END'], seed: 7, presencePenalty: 0.5,
      reasoning: { budgetTokens: 1024, includeThoughts: true },
      responseFormat: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: ['string', 'null'] } } } },
    });
    expect(decode({ contents: [user('x')], generationConfig: { thinkingConfig: { thinkingBudget: -1, thinkingLevel: 'HIGH' } } }).options.reasoning).to.deep.equal({ effort: 'high' });
    const unspecified = decode({ contents: [user('x')], generationConfig: { thinkingConfig: { thinkingLevel: 'THINKING_LEVEL_UNSPECIFIED', includeThoughts: true } } });
    expect(unspecified.options.reasoning).to.deep.equal({ includeThoughts: true });
    expect(unspecified).not.to.have.property('providerOptions');
  });

  // The @google/genai SDK types Schema's int64 bounds as strings (protobuf JSON), and a nullable
  // schema may have no type of its own: the JSON Schema every backend gets had `"minItems": "1"`
  // (which Anthropic refuses as an invalid schema) and lost `nullable` on an `anyOf`.
  it('converts Gemini schemas to valid JSON Schema: int64 bounds as integers, nullable on an anyOf or an enum', () => {
    const schema = {
      type: 'OBJECT',
      properties: {
        tags: { type: 'ARRAY', items: { type: 'STRING', minLength: '2', maxLength: '40' }, minItems: '1', maxItems: '3' },
        meta: { type: 'OBJECT', minProperties: '1', maxProperties: '9', properties: { k: { type: 'STRING' } } },
        pick: { anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }], nullable: true },
        size: { type: 'STRING', enum: ['S', 'M'], nullable: true },
        odd: { type: 'STRING', maxLength: 'many' },
      },
      required: ['tags'],
    };
    const expected = {
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string', minLength: 2, maxLength: 40 }, minItems: 1, maxItems: 3 },
        meta: { type: 'object', minProperties: 1, maxProperties: 9, properties: { k: { type: 'string' } } },
        pick: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] },
        size: { type: ['string', 'null'], enum: ['S', 'M', null] },
        // Not a number: left for the backend to refuse as the client wrote it.
        odd: { type: 'string', maxLength: 'many' },
      },
      required: ['tags'],
    };
    const call = decode({
      contents: [user('x')],
      tools: [{ functionDeclarations: [{ name: 'f', parameters: schema }] }],
      generationConfig: { responseMimeType: 'application/json', responseSchema: schema },
    });
    expect(call.options.responseFormat).to.deep.equal({ type: 'json_schema', schema: expected });
    expect(call.tools?.[0]).to.deep.include({ name: 'f', parameters: expected });
  });

  // Found by probing: the conversion stopped 64 levels down, and a deeper schema (the body may
  // nest 128) went on half converted, `ARRAY` and `STRING` and `nullable` left as Gemini writes them.
  it('converts a schema all the way down, as deep as a request body may nest', () => {
    const nested = (depth: number, leaf: unknown, node: (inner: unknown) => unknown): unknown => (depth === 0 ? leaf : node(nested(depth - 1, leaf, node)));
    const schema = nested(100, { type: 'STRING', nullable: true }, (items) => ({ type: 'ARRAY', items }));
    const expected = nested(100, { type: ['string', 'null'] }, (items) => ({ type: 'array', items }));
    const call = decode({
      contents: [user('x')],
      tools: [{ functionDeclarations: [{ name: 'f', parameters: schema }] }],
      generationConfig: { responseMimeType: 'application/json', responseSchema: schema },
    });
    expect(call.options.responseFormat).to.deep.equal({ type: 'json_schema', schema: expected });
    expect(call.tools?.[0]).to.deep.include({ name: 'f', parameters: expected });
  });

  it('accepts snake_case field names, as Google\'s own examples use them', () => {
    const call = decode({
      system_instruction: { parts: [{ text: 'S' }] },
      contents: [{ role: 'user', parts: [{ inline_data: { mime_type: 'image/png', data: 'iVBO' } }, { text: 'what is it?' }] }],
      generation_config: { max_output_tokens: 9 },
      tools: [{ function_declarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { snake_case_arg: { type: 'STRING' } } } }] }],
    });
    expect(call.system).to.deep.equal([{ type: 'text', text: 'S' }]);
    expect(call.messages[0]!.parts).to.deep.equal([{ type: 'image', data: 'iVBO', mediaType: 'image/png' }, { type: 'text', text: 'what is it?' }]);
    expect(call.options.maxOutputTokens).to.equal(9);
    expect(call.tools).to.deep.equal([{ name: 'f', parameters: { type: 'object', properties: { snake_case_arg: { type: 'string' } } } }]);
  });

  it('refuses a field set twice, in camelCase and in snake_case (one would be lost), naming it', () => {
    const contents = [user('hi')];
    expect(decodeError({ contents, generationConfig: { maxOutputTokens: 10 }, generation_config: { temperature: 0.9 } })).to.deep.include({
      status: 400, code: 'LIP_ERR_REQUEST_INVALID', param: 'generationConfig', message: 'generationConfig: set twice (camelCase and snake_case)',
    });
    expect(decodeError({ contents, generationConfig: { maxOutputTokens: 10, max_output_tokens: 9 } })).to.deep.include({ status: 400, param: 'generationConfig.maxOutputTokens' });
    expect(decodeError({ contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/png', mime_type: 'image/png', data: 'iVBO' } }] }] }))
      .to.deep.include({ status: 400, param: 'contents[0].parts[0].inlineData.mimeType' });
    // A function's arguments and schemas are the client's own names: both spellings stay.
    const call = decode({ contents, tools: [{ functionDeclarations: [{ name: 'f', parametersJsonSchema: { type: 'object', properties: { a_b: { type: 'string' }, aB: { type: 'string' } } } }] }] });
    expect(Object.keys(call.tools[0]!.parameters.properties as object)).to.deep.equal(['a_b', 'aB']);
  });

  it('keeps thoughts with their signatures, signed function calls and pairs responses with calls', () => {
    const call = decode({
      contents: [
        user('weather?'),
        {
          role: 'model',
          parts: [
            { text: 'Let me ', thought: true }, { text: 'think.', thought: true }, { text: '', thought: true, thoughtSignature: 'sig-t' },
            { text: 'Checking.', thoughtSignature: 'sig-text' },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-fc' },
            { functionCall: { id: 'fc-2', name: 'get_time', args: {} } },
          ],
        },
        { role: 'user', parts: [{ functionResponse: { id: 'fc-2', name: 'get_time', response: { t: '12:00' } } }, { functionResponse: { name: 'get_weather', response: { sky: 'clear' } } }] },
      ],
    });
    expect(call.messages[1]!.parts).to.deep.equal([
      { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: 'Let me think.', signature: 'sig-t' },
      { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: '', signature: 'sig-text' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_call', id: 'call_gemini_1', name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'sig-fc', dialect: REASONING_DIALECTS.geminiThought },
      { type: 'tool_call', id: 'fc-2', name: 'get_time', arguments: '{}' },
    ]);
    expect(call.messages[2]).to.deep.equal({
      role: 'tool',
      parts: [
        { type: 'tool_result', callId: 'fc-2', name: 'get_time', content: '{"t":"12:00"}' },
        { type: 'tool_result', callId: 'call_gemini_1', name: 'get_weather', content: '{"sky":"clear"}' },
      ],
    });
  });

  it('folds consecutive model turns (a streamed turn in a chat history) into one assistant message', () => {
    const call = decode({
      contents: [user('x'), { role: 'model', parts: [{ text: 'Let ', thought: true }] }, { role: 'model', parts: [{ text: 'me.', thought: true, thoughtSignature: 's' }] },
        { role: 'model', parts: [{ text: 'Done' }] }, { role: 'model', parts: [{ text: '' }] }, user('y')],
    });
    expect(call.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'user']);
    expect(call.messages[1]!.parts).to.deep.equal([
      { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: 'Let me.', signature: 's' },
      { type: 'text', text: 'Done' }, { type: 'text', text: '' },
    ]);
  });

  it('maps inline and file data, function declarations and toolConfig', () => {
    const call = decode({
      contents: [{ parts: [
        { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
        { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/a.jpg' } },
        { fileData: { fileUri: 'gs://bucket/doc.pdf', mimeType: 'application/pdf' } },
      ] }],
      tools: [{ functionDeclarations: [{ name: 'a', parametersJsonSchema: { type: 'object', properties: { Q: { type: 'string' } } } }, { name: 'b', description: 'B' }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] } },
    });
    expect(call.messages[0]).to.deep.equal({ role: 'user', parts: [
      { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf' },
      { type: 'image', url: 'https://example.com/a.jpg', mediaType: 'image/jpeg' },
      { type: 'file', url: 'gs://bucket/doc.pdf', mediaType: 'application/pdf' },
    ] });
    expect(call.tools).to.deep.equal([
      { name: 'a', parameters: { type: 'object', properties: { Q: { type: 'string' } } } },
      { name: 'b', description: 'B', parameters: { type: 'object', properties: {} } },
    ]);
    expect(call.toolChoice).to.deep.equal({ type: 'tool', name: 'b' });
    const mode = (m: string) => decode({ contents: [user('x')], toolConfig: { functionCallingConfig: { mode: m } } }).toolChoice;
    expect([mode('ANY'), mode('NONE'), mode('AUTO'), mode('VALIDATED')]).to.deep.equal([{ type: 'any' }, { type: 'none' }, { type: 'auto' }, { type: 'auto' }]);
    const tools = [{ functionDeclarations: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }];
    const restricted = (m: string, names: string[]) => decode({ contents: [user('x')], tools, toolConfig: { functionCallingConfig: { mode: m, allowedFunctionNames: names } } }).toolChoice;
    expect(restricted('ANY', ['a', 'c'])).to.deep.equal({ type: 'any', allowed: ['a', 'c'] });
    expect(restricted('VALIDATED', ['b'])).to.deep.equal({ type: 'auto', allowed: ['b'] });
    expect(restricted('NONE', ['b'])).to.deep.equal({ type: 'none' });
    expect(() => restricted('ANY', ['a', 'z'])).to.throw('toolConfig.functionCallingConfig.allowedFunctionNames[1]: names the function "z", which is not declared in tools');
  });

  // Found by probing multi-turn histories: Gemini CLI puts a result's image beside it, between the
  // results of parallel calls; the turn became tool, user, tool messages, which Anthropic and
  // Bedrock refuse (tool results must open the turn) and OpenAI Chat too (a tool message after a user one).
  it('decodes a turn\'s function responses as one tool message before the turn\'s other parts', () => {
    const call = decode({ contents: [
      user('look at both'),
      { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'shot', args: {} } }, { functionCall: { id: 'c2', name: 'shot', args: {} } }] },
      { role: 'user', parts: [
        { functionResponse: { id: 'c1', name: 'shot', response: { ok: 1 } } }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0' } },
        { functionResponse: { id: 'c2', name: 'shot', response: { ok: 2 } } }, { text: 'both done' },
      ] },
    ] });
    expect(call.messages.map((m) => [m.role, m.parts.map((p) => p.type)])).to.deep.equal([
      ['user', ['text']], ['assistant', ['tool_call', 'tool_call']], ['tool', ['tool_result', 'tool_result']], ['user', ['image', 'text']],
    ]);
    expect(call.messages[2]!.parts.map((p) => (p as { callId: string }).callId)).to.deep.equal(['c1', 'c2']);
  });

  it('takes a response whose only key is error (Gemini\'s key for a failed call, Gemini CLI\'s) as a failed result, its JSON as written', () => {
    const results = (responses: unknown[]) => decode({
      contents: [
        user('run'),
        { role: 'model', parts: responses.map((_, i) => ({ functionCall: { id: `c${i}`, name: 'sh', args: {} } })) },
        { role: 'user', parts: responses.map((response, i) => ({ functionResponse: { id: `c${i}`, name: 'sh', response } })) },
      ],
    }).messages[2]!.parts;
    expect(results([{ error: 'Command failed: exit 1' }, { error: { code: 2, message: 'no such file' } }])).to.deep.equal([
      { type: 'tool_result', callId: 'c0', name: 'sh', content: '{"error":"Command failed: exit 1"}', isError: true },
      { type: 'tool_result', callId: 'c1', name: 'sh', content: '{"error":{"code":2,"message":"no such file"}}', isError: true },
    ]);
    // An output, an error beside other keys, an error of null: not a failure.
    for (const response of [{ output: 'ok' }, { error: 'x', output: 'partial' }, { error: null }, {}]) {
      expect(results([response])[0]).not.to.have.property('isError');
    }
  });

  it('keeps the media a function returns (functionResponse.parts) as image and file parts of the tool result', () => {
    const call = decode({
      contents: [
        user('screenshot?'),
        { role: 'model', parts: [{ functionCall: { id: 'fc-1', name: 'shot', args: {} } }] },
        {
          role: 'user',
          parts: [{ functionResponse: { id: 'fc-1', name: 'shot', response: { ok: true }, parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBORw0' } }, { fileData: { mimeType: 'application/pdf', fileUri: 'gs://b/r.pdf' } }] } }],
        },
      ],
    });
    expect(call.messages[2]).to.deep.equal({
      role: 'tool',
      parts: [{
        type: 'tool_result', callId: 'fc-1', name: 'shot',
        content: [{ type: 'text', text: '{"ok":true}' }, { type: 'image', data: 'iVBORw0', mediaType: 'image/png' }, { type: 'file', url: 'gs://b/r.pdf', mediaType: 'application/pdf' }],
      }],
    });
    expect(decodeError({ contents: [user('x'), { role: 'user', parts: [{ functionResponse: { name: 'shot', response: {}, parts: [{ text: 'no' }] } }] }] })).to.deep.include({
      status: 400, param: 'contents[1].parts[0].functionResponse.parts[0]', message: 'contents[1].parts[0].functionResponse.parts[0]: must have inlineData or fileData',
    });
    expect(decodeError({ contents: [user('x'), { role: 'user', parts: [{ functionResponse: { name: 'shot', parts: [{ inlineData: { data: 'x' } }] } }] }] }).param)
      .to.equal('contents[1].parts[0].functionResponse.parts[0].inlineData.mimeType');
  });

  it('names the offending field in its errors', () => {
    expect(decodeError({ contents: [{ role: 'user', parts: [{ foo: 1 }] }] })).to.deep.include({
      status: 400, param: 'contents[0].parts[0]', message: 'contents[0].parts[0]: must have text, inlineData, fileData, functionCall or functionResponse',
    });
    expect(decodeError({ contents: [{ role: 'user', parts: [{ executableCode: { code: 'x' } }] }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_INVALID', param: 'contents[0].parts[0].executableCode', message: 'contents[0].parts[0].executableCode: executableCode parts belong in model turns',
    });
    expect(decodeError({ contents: [{ role: 'user', parts: [{ toolCall: { toolType: 'URL_CONTEXT' } }] }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_INVALID', param: 'contents[0].parts[0].toolCall', message: 'contents[0].parts[0].toolCall: toolCall parts belong in model turns',
    });
    expect(decodeError({ contents: [{ role: 'system', parts: [{ text: 'x' }] }] }).message).to.equal('contents[0].role: must be "user" or "model" (got "system")');
    expect(decodeError({ contents: [user('x')], tools: [{ googleFlights: {} }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].googleFlights' });
    expect(decodeError({ contents: [user('x')], generationConfig: { candidateCount: 2 } }).param).to.equal('generationConfig.candidateCount');
    expect(decodeError({ contents: 'hi' }).message).to.equal('contents: must be an array (got "hi")');
    expect(decodeError({}).message).to.equal('contents: is required');
    expect(decodeError({ contents: [{ role: 'user', parts: [] }] }).param).to.equal('contents[0].parts');
    // A name reaches the decoder only where nothing looked it up (cached-contents.ts resolves it for generation and counts).
    expect(decodeError({ contents: [user('x')], cachedContent: 'cachedContents/abc' })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'cachedContent' });
    expect(decodeError({ contents: [user('x')], generationConfig: { responseModalities: ['TEXT', 'IMAGE'] } })).to.deep.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', message: 'generationConfig.responseModalities: only TEXT output is supported (got "IMAGE")',
    });
    expect(decodeError({ contents: [user('x')], generation_config: { speech_config: { voiceConfig: {} } } }).param).to.equal('generationConfig.speechConfig');
    expect(decode({ contents: [user('x')], cachedContent: '', generationConfig: { responseModalities: ['TEXT'] } }).messages).to.have.length(1);
    expect(decodeError({ contents: [user('x')], generationConfig: { responseMimeType: 'text/x.enum', responseSchema: { type: 'STRING', enum: ['A', 'B'] } } })).to.deep.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', message: 'generationConfig.responseMimeType: must be text/plain or application/json (got "text/x.enum")',
    });
    expect(decode({ contents: [user('x')], generationConfig: { responseMimeType: 'text/plain' } }).options.responseFormat).to.equal(undefined);
  });
});
