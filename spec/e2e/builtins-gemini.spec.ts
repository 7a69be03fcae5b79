import { ApiError, createPartFromFunctionResponse, type Candidate, type Content, type GenerateContentParameters, type Part } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Script } from '../helpers/emulators/index.js';
import { useUpstreams } from '../helpers/upstreams.js';
import { eventually, readRecords } from '../replay/recording-helpers.js';

const MODEL = 'gem:gemini-3-flash-preview';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
/** Google Maps grounding as Gemini writes it: places (with review snippets), supports in UTF-8 bytes of the text, the widget token. */
const MAPS = {
  groundingChunks: [
    { maps: { uri: 'https://maps.google.com/?cid=1', title: 'Café Lumière', placeId: 'places/ChIJ1', placeAnswerSources: { reviewSnippets: [{ review: 'Quiet, good coffee.' }] } } },
    { maps: { uri: 'https://maps.google.com/?cid=2', title: 'Noodle Bar', placeId: 'places/ChIJ2' } },
  ],
  groundingSupports: [{ segment: { endIndex: 13, text: 'Café Lumière' }, groundingChunkIndices: [0], confidenceScores: [0.93] }],
  googleMapsWidgetContextToken: 'widgetcontent/AcBXPQdpWQ-token',
};
const MAPS_SCRIPT: Script = { text: ['Café Lumière', ' is two minutes from the station.'], grounding: MAPS };
/** File Search grounding: the documents it retrieved from the client's store. */
const FILES = {
  groundingChunks: [{ retrievedContext: { title: 'manual.pdf', text: 'Hold the button for 5 seconds to reset.', fileSearchStore: 'fileSearchStores/manuals-1', pageNumber: 12 } }],
  groundingSupports: [{ segment: { endIndex: 28, text: 'Hold the button for 5 seconds' }, groundingChunkIndices: [0] }],
};
const FILES_SCRIPT: Script = { text: 'Hold the button for 5 seconds to reset it.', grounding: FILES };
/** Gemini 3 combining Google Search with a function: its own search call and result, then the function call. */
const TOOL_CALL = { toolCall: { id: 'tc_7x', toolType: 'GOOGLE_SEARCH_WEB', args: { queries: ['northernmost city in the United States'] } }, thoughtSignature: 'c2lnLXRvb2wtY2FsbA==' };
const TOOL_RESPONSE = { toolResponse: { id: 'tc_7x', toolType: 'GOOGLE_SEARCH_WEB', response: { search_suggestions: '<div class="chips">Utqiagvik</div>' } } };
const COMBINED: Script = { hosted: [TOOL_CALL, TOOL_RESPONSE], toolCalls: [{ name: 'getWeather', args: '{"city":"Utqiagvik, Alaska"}', signature: 'c2lnLWZj' }] };
const GET_WEATHER = { name: 'getWeather', description: 'Gets the weather for a city.', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
/** An MCP server's bearer token, the client's secret: lip passes it on and writes it nowhere. */
const MCP_TOKEN = 'mcp-bearer-5d1e0b9c7a';
const SERVERS = [{ name: 'booking', streamableHttpTransport: { url: 'https://mcp.example/mcp', headers: { Authorization: `Bearer ${MCP_TOKEN}` }, timeout: '30s' } }];
const BROWSER = { environment: 'ENVIRONMENT_BROWSER' as never, excludedPredefinedFunctions: ['drag_and_drop'] };

const plain = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)) as T);
const dir = mkdtempSync(join(tmpdir(), 'lip-gemini-builtins-'));
const recording = join(dir, 'traffic.jsonl');

/**
 * Gemini's remaining built-ins through lip with the official SDK as the client: Google Maps,
 * File Search, remote MCP servers (and, from a REST client, Vertex AI's retrieval and the partner
 * searches) reach a gemini upstream as declared and their grounding comes back as Gemini wrote
 * it, streamed and whole; Gemini 3's server-side tool invocations (`toolCall`, `toolResponse`)
 * come back as written and go back up on the next turn; computer use goes up as declared to
 * Gemini and becomes functions for another provider. They were all a 400 before. No other
 * provider runs the built-ins: a route moves on to a gemini backend, a route without one is a 400.
 */
describe('e2e: Gemini\'s Maps, File Search, MCP, computer use and server-side tool invocations', function () {
  this.timeout(20_000);
  const up = useUpstreams(
    { gem: { kind: 'gemini' }, an: { kind: 'anthropic' }, or: { kind: 'openai-responses' } },
    `logging: { level: debug, access_log: true }\nrecording: { enabled: true, path: "${recording}" }`,
  );
  const emulators = up.emulators;
  after(() => rmSync(dir, { recursive: true, force: true }));

  const ask = async (stream: boolean, params: Partial<GenerateContentParameters> & { config: GenerateContentParameters['config'] }, model = MODEL): Promise<Candidate[]> => {
    const request = { model, contents: 'Where can I get a coffee near the station?', ...params };
    if (!stream) return [(await up.google().models.generateContent(request)).candidates![0]!];
    const candidates: Candidate[] = [];
    for await (const chunk of await up.google().models.generateContentStream(request)) candidates.push(chunk.candidates![0]!);
    return candidates;
  };
  const partsOf = (candidates: Candidate[]) => candidates.flatMap((c) => plain(c.content?.parts ?? [])).filter((p) => p.text !== '');
  const textOf = (candidates: Candidate[]) => candidates.map((c) => (c.content?.parts ?? []).map((p) => p.text ?? '').join('')).join('');
  const groundings = (candidates: Candidate[]) => candidates.map((c) => plain(c.groundingMetadata)).filter((g) => g !== undefined);

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`googleMaps and the user's location reach the upstream as declared; the places and the widget token come back as Gemini wrote them (${mode})`, async () => {
      emulators.gem!.enqueue(MAPS_SCRIPT);
      const latLng = { latitude: 48.8443, longitude: 2.3744 };
      const candidates = await ask(stream, { config: { tools: [{ googleMaps: { enableWidget: true } }], toolConfig: { retrievalConfig: { latLng } } } });
      const request = emulators.gem!.requests[0]!;
      expect(request.stream).to.equal(stream);
      expect(request.body.tools).to.deep.equal([{ googleMaps: { enableWidget: true } }]);
      expect(request.body.toolConfig).to.deep.equal({ retrievalConfig: { latLng } });
      expect(groundings(candidates)).to.deep.equal([MAPS]);
      expect(textOf(candidates)).to.equal((MAPS_SCRIPT.text as string[]).join(''));
      expect(candidates.at(-1)!.finishReason).to.equal('STOP');
    });

    it(`fileSearch reaches the upstream as declared; the retrieved documents come back as Gemini wrote them (${mode})`, async () => {
      emulators.gem!.enqueue(FILES_SCRIPT);
      const fileSearch = { fileSearchStoreNames: ['fileSearchStores/manuals-1'], metadataFilter: 'lang = "en"' };
      const candidates = await ask(stream, { contents: 'How do I reset the device?', config: { tools: [{ fileSearch }] } });
      expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([{ fileSearch }]);
      expect(groundings(candidates)).to.deep.equal([FILES]);
    });

    it(`Gemini 3's toolCall and toolResponse come back as written beside the function call, includeServerSideToolInvocations goes up, and a chat sends them back as written (${mode})`, async () => {
      const gem = emulators.gem!;
      gem.checkState = true; // the upstream refuses a signature it did not issue, as Gemini does
      gem.enqueue(COMBINED);
      gem.enqueue({ text: 'Utqiagvik is at -20 °C today.' });
      const config = { tools: [{ googleSearch: {}, functionDeclarations: [GET_WEATHER] }], toolConfig: { includeServerSideToolInvocations: true } };
      const chat = up.google().chats.create({ model: MODEL, config });
      const send = async (message: string | Part[]) => {
        if (!stream) return [(await chat.sendMessage({ message })).candidates![0]!];
        const candidates: Candidate[] = [];
        for await (const chunk of await chat.sendMessageStream({ message })) candidates.push(chunk.candidates![0]!);
        return candidates;
      };
      const first = await send('What is the northernmost US city, and its weather today?');
      expect(gem.requests[0]!.body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' }, includeServerSideToolInvocations: true });
      const parts = partsOf(first);
      expect(parts.slice(0, 2)).to.deep.equal([TOOL_CALL, TOOL_RESPONSE]);
      expect(parts[2]).to.deep.include({ thoughtSignature: 'c2lnLWZj' });
      expect(parts[2]!.functionCall).to.deep.include({ name: 'getWeather', args: { city: 'Utqiagvik, Alaska' } });
      const id = parts[2]!.functionCall!.id!;
      expect(textOf(await send([createPartFromFunctionResponse(id, 'getWeather', { celsius: -20 })]))).to.equal('Utqiagvik is at -20 °C today.');
      const history = gem.requests[1]!.body.contents as Content[];
      expect(history.map((c) => c.role)).to.deep.equal(['user', 'model', 'user']);
      expect(history[1]!.parts).to.deep.equal([TOOL_CALL, TOOL_RESPONSE, { functionCall: { name: 'getWeather', args: { city: 'Utqiagvik, Alaska' } }, thoughtSignature: 'c2lnLWZj' }]);
    });

    it(`mcpServers reach the upstream as declared, its headers with them (${mode})`, async () => {
      emulators.gem!.enqueue({ text: 'Booked for two at 8pm.' });
      const candidates = await ask(stream, { contents: 'Book a table for two at 8pm.', config: { tools: [{ mcpServers: SERVERS }] } });
      expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([{ mcpServers: SERVERS }]);
      expect(textOf(candidates)).to.equal('Booked for two at 8pm.');
    });

    it(`computerUse reaches a gemini upstream as declared; its click comes back as a function call, the screenshot goes back up in its response (${mode})`, async () => {
      const gem = emulators.gem!;
      gem.enqueue({ toolCalls: [{ name: 'click_at', args: '{"x":412,"y":230}' }] });
      gem.enqueue({ text: 'The search page is open.' });
      const chat = up.google().chats.create({ model: MODEL, config: { tools: [{ computerUse: BROWSER }] } });
      const responses = [];
      if (!stream) responses.push(await chat.sendMessage({ message: 'Open the search page.' }));
      else for await (const chunk of await chat.sendMessageStream({ message: 'Open the search page.' })) responses.push(chunk);
      expect(gem.requests[0]!.body.tools).to.deep.equal([{ computerUse: BROWSER }]);
      expect(gem.requests[0]!.body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
      const calls = responses.flatMap((r) => r.functionCalls ?? []);
      expect(calls).to.have.length(1);
      const call = calls[0]!;
      expect(call).to.deep.include({ name: 'click_at', args: { x: 412, y: 230 } });
      await chat.sendMessage({ message: [createPartFromFunctionResponse(call.id!, 'click_at', { url: 'https://www.google.com/' }, [{ inlineData: { mimeType: 'image/png', data: PNG } }])] });
      const turn = (gem.requests[1]!.body.contents as Content[]).at(-1)!;
      expect(turn.parts).to.deep.equal([{ functionResponse: { name: 'click_at', response: { url: 'https://www.google.com/' } } }, { inlineData: { mimeType: 'image/png', data: PNG } }]);
    });

    it(`computerUse on an anthropic upstream: the browser's functions with lip's schemas; Claude's call comes back as the function call a Gemini client runs (${mode})`, async () => {
      const an = emulators.an!;
      an.enqueue({ toolCalls: [{ name: 'type_text_at', args: '{"x":500,"y":120,"text":"lip proxy","press_enter":true}' }] });
      const candidates = await ask(stream, { contents: 'Search for lip proxy.', config: { tools: [{ computerUse: BROWSER }] } }, 'an:claude-sonnet-4-6');
      const tools = an.requests[0]!.body.tools as { name: string; input_schema: Record<string, unknown> }[];
      expect(tools.map((t) => t.name)).to.deep.equal(['open_web_browser', 'click_at', 'hover_at', 'type_text_at', 'scroll_document', 'scroll_at', 'wait_5_seconds', 'go_back', 'go_forward', 'search', 'navigate', 'key_combination']);
      expect(tools.find((t) => t.name === 'type_text_at')!.input_schema).to.deep.include({ required: ['x', 'y', 'text'] });
      const call = partsOf(candidates).find((p) => p.functionCall)!.functionCall!;
      expect(call).to.deep.include({ name: 'type_text_at', args: { x: 500, y: 120, text: 'lip proxy', press_enter: true } });
    });
  }

  it('a REST client\'s Vertex AI built-ins (retrieval, enterprise web search, Exa, Parallel) reach the upstream as declared, snake_case read, free-form parameters kept', async () => {
    emulators.gem!.enqueue({ text: 'Found it.', grounding: FILES });
    const tools = [
      { retrieval: { vertex_ai_search: { datastore: 'projects/p/locations/global/collections/default_collection/dataStores/d' } } },
      { enterprise_web_search: { exclude_domains: ['x.example'] } },
      { exa_ai_search: { api_key: 'exa-secret-1234567', custom_configs: { num_results: 3 } } },
      { parallel_ai_search: { custom_configs: { source_policy: { include_domains: ['a.example'] } } } },
    ];
    const res = await fetch(`${up.lip().url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'q' }] }], tools }),
    });
    expect(res.status).to.equal(200);
    expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([
      { retrieval: { vertexAiSearch: { datastore: 'projects/p/locations/global/collections/default_collection/dataStores/d' } } },
      { enterpriseWebSearch: { excludeDomains: ['x.example'] } },
      { exaAiSearch: { apiKey: 'exa-secret-1234567', customConfigs: { num_results: 3 } } },
      { parallelAiSearch: { customConfigs: { source_policy: { include_domains: ['a.example'] } } } },
    ]);
    expect(((await res.json()) as { candidates: Candidate[] }).candidates[0]!.groundingMetadata).to.deep.equal(FILES);
  });

  for (const first of ['an:claude-sonnet-4-6', 'or:gpt-5.4']) {
    it(`a failover route [${first.split(':')[0]}, gem] serves googleMaps and mcpServers from the gemini backend; the first upstream sees nothing`, async () => {
      emulators.gem!.enqueue(MAPS_SCRIPT);
      const candidates = await ask(false, { config: { tools: [{ googleMaps: {} }, { mcpServers: SERVERS }] } }, `${first}|${MODEL}`);
      expect(groundings(candidates)).to.deep.equal([MAPS]);
      expect(emulators[first.split(':')[0]!]!.requests).to.have.length(0);
      expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([{ googleMaps: {} }, { mcpServers: SERVERS }]);
    });
  }

  for (const stream of [false, true]) {
    it(`a route to another provider alone is a 400 LIP_ERR_REQUEST_UNSUPPORTED naming the built-in, and nothing goes upstream (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const err = await ask(stream, { config: { tools: [{ googleSearch: {} }, { googleMaps: {} }] } }, 'an:claude-sonnet-4-6').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).status).to.equal(400);
      const body = JSON.parse((err as ApiError).message.replace(/^[^{]*/, '')) as { error: { message: string; details: { reason?: string }[] } };
      expect(body.error.details.some((d) => d.reason === 'LIP_ERR_REQUEST_UNSUPPORTED')).to.equal(true);
      expect(body.error.message).to.include('"googleMaps"');
      expect(emulators.an!.requests).to.have.length(0);
    });
  }

  it('the MCP server\'s bearer token and the Exa key appear in no log line and no recording', async () => {
    emulators.gem!.enqueue({ text: 'ok' });
    await fetch(`${up.lip().url}/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'q' }] }], tools: [{ mcpServers: SERVERS }, { exaAiSearch: { apiKey: 'exa-secret-7654321' } }] }),
    });
    expect(emulators.gem!.requests[0]!.body.tools[0].mcpServers[0].streamableHttpTransport.headers.Authorization).to.equal(`Bearer ${MCP_TOKEN}`);
    await eventually(() => readRecords(recording), (r) => r.some((x) => JSON.stringify(x).includes('exaAiSearch')));
    const text = readFileSync(recording, 'utf8');
    expect(text).to.include('https://mcp.example/mcp');
    expect(text).to.not.include(MCP_TOKEN).and.not.include('exa-secret-7654321');
    expect(JSON.stringify(up.lip().logs)).to.not.include(MCP_TOKEN).and.not.include('exa-secret-7654321');
  });
});
