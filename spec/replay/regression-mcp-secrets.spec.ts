import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Call } from '../../lib/canonical/index.js';
import type { Config } from '../../lib/config/index.js';
import type { ExchangeRecord } from '../../lib/replay/record-format.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startGeminiEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { RecordLines, eventually } from './recording-helpers.js';

/** Secrets that look like nothing in particular: no credential shape gives them away. */
const OAUTH = 'OAIAUTHVALUE2';
const TENANT = 'OAIHDRVALUE3';
const GEMINI_TENANT = 'GEMHDRVALUE4';
const GEMINI_BEARER = 'GEMBEARER5';
const SECRETS = [OAUTH, TENANT, GEMINI_TENANT, GEMINI_BEARER];

/**
 * Regression: a Responses client's `mcp` tool was recorded with its `authorization` (the MCP
 * server's OAuth token) and its `headers` in clear, and so was a Gemini `mcpServers` entry's
 * `streamableHttpTransport.headers` unless a value had a credential shape (`Bearer …`): the
 * recording masked Anthropic's `authorization_token` by its name, and nothing else of an MCP
 * server. Both are the client's secrets: the recorded body and the recorded call now hold `***`
 * in their place (every header value, the header names kept), and the record still replays as
 * `same`.
 */
describe('regression: an MCP server\'s authorization and headers in recordings', function () {
  this.timeout(30_000);
  let or: Emulator;
  let gem: Emulator;
  let lip: RunningLip;
  let dir: string;
  let file: string;
  let config: Config;
  let lines: RecordLines;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-mcp-secrets-'));
    file = join(dir, 'traffic.jsonl');
    [or, gem] = await Promise.all([startOpenAIResponsesEmulator(), startGeminiEmulator()]);
    config = testConfig([
      `  - { id: or, kind: openai-responses, base_url: "${or.url}", api_key: k-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${gem.url}", api_key: k-0123456789 }`,
    ].join('\n'), `recording: { enabled: true, path: "${file}" }`);
    lip = await startLip(config);
    lines = new RecordLines(file);
  });
  after(async () => {
    await lip?.close();
    for (const emulator of [or, gem]) await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const recordOf = async (requestId: string) => (await eventually(() => lines.of(requestId), (r) => r.length > 0))[0]!;
  /** The declaration of the first tool of the record's first attempt's call, as the call holds it. */
  const definitionOf = (record: ExchangeRecord) => (record.attempts[0]!.call as Call).tools![0]!.providerTool!.definition;
  const expectNoSecret = (text: string) => {
    for (const secret of SECRETS) expect(text, secret).to.not.include(secret);
  };

  for (const stream of [false, true]) {
    it(`a Responses mcp tool: its authorization and header values are masked in the body and the call, and it replays as same (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const tool = { type: 'mcp' as const, server_label: 'w', server_url: 'https://w.example/mcp', authorization: OAUTH, headers: { 'X-Tenant-Credential': TENANT }, require_approval: 'never' as const };
      const requestId = `oai-mcp-${stream}`;
      or.enqueue({ text: 'ok' });
      const request = { model: 'or:c', input: 'x', tools: [tool] };
      const headers = { headers: { 'x-request-id': requestId } };
      if (stream) await openai.responses.stream(request, headers).finalResponse();
      else await openai.responses.create(request, headers);
      // lip sends them on as written: only the recording masks them.
      expect(or.requests.at(-1)!.body.tools).to.deep.equal([tool]);

      const record = await recordOf(requestId);
      const masked = { ...tool, authorization: '***', headers: { 'X-Tenant-Credential': '***' } };
      expect((record.request.body as { tools: unknown }).tools).to.deep.equal([masked]);
      expect(definitionOf(record)).to.deep.equal(masked);
      expectNoSecret(readFileSync(file, 'utf8'));
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    });
  }

  it('a Gemini mcpServers entry: every value of its streamableHttpTransport headers is masked, camelCase or snake_case, and it replays as same', async () => {
    const google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta', headers: { 'x-request-id': 'gem-mcp-sdk' } } });
    const server = { name: 'booking', streamableHttpTransport: { url: 'https://mcp.example/mcp', headers: { 'X-Tenant': GEMINI_TENANT, Authorization: `Bearer ${GEMINI_BEARER}` }, timeout: '30s' } };
    gem.enqueue({ text: 'ok' });
    await google.models.generateContent({ model: 'gem:gemini-2.5-flash', contents: 'Book a table.', config: { tools: [{ mcpServers: [server] }] } });
    expect(gem.requests.at(-1)!.body.tools).to.deep.equal([{ mcpServers: [server] }]);

    // A REST client may write the protobuf names in snake_case; the headers are kept as written.
    const snake = { name: 'booking', streamable_http_transport: { url: 'https://mcp.example/mcp', headers: { 'X-Tenant': GEMINI_TENANT } } };
    gem.enqueue({ text: 'ok' });
    const res = await fetch(`${lip.url}/v1beta/models/gem:gemini-2.5-flash:generateContent`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k', 'x-request-id': 'gem-mcp-rest' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'q' }] }], tools: [{ mcp_servers: [snake] }] }),
    });
    expect(res.status).to.equal(200);

    const sdk = await recordOf('gem-mcp-sdk');
    const maskedServer = { ...server, streamableHttpTransport: { ...server.streamableHttpTransport, headers: { 'X-Tenant': '***', Authorization: '***' } } };
    expect((sdk.request.body as { tools: unknown }).tools).to.deep.equal([{ mcpServers: [maskedServer] }]);
    expect(definitionOf(sdk)).to.deep.equal({ mcpServers: [maskedServer] });
    const rest = await recordOf('gem-mcp-rest');
    expect((rest.request.body as { tools: unknown }).tools).to.deep.equal([{ mcp_servers: [{ ...snake, streamable_http_transport: { ...snake.streamable_http_transport, headers: { 'X-Tenant': '***' } } }] }]);
    expectNoSecret(readFileSync(file, 'utf8'));
    for (const record of [sdk, rest]) {
      const result = await replayExchange(record, config);
      expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
    }
  });

  it('an MCP server\'s secrets in a body lip could not parse are masked too', async () => {
    const body = `{"model": "or:c", "input": "x", "tools": [{"type": "mcp", "server_label": "w", "authorization": "${OAUTH}", "headers": {"X-Tenant-Credential": "${TENANT}"}}]`;
    const res = await fetch(`${lip.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'oai-mcp-bad' }, body });
    expect(res.status).to.equal(400);
    const record = await recordOf('oai-mcp-bad');
    expect(record.request.body_text).to.equal(body.replace(OAUTH, '***').replace(TENANT, '***'));
    expectNoSecret(readFileSync(file, 'utf8'));
    const result = await replayExchange(record, config);
    expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
  });
});
