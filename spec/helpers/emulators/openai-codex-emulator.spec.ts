import { expect } from 'chai';
import OpenAI from 'openai';
import { httpRequest } from '../sse-client.js';
import { CODEX_REFRESH_TOKEN, startCodexEmulator, type CodexEmulator } from './index.js';

const HEADERS = {
  authorization: 'Bearer codex-token-1', accept: 'text/event-stream', 'openai-beta': 'responses=experimental', originator: 'codex_cli_rs',
  version: '0.0.0', 'user-agent': 'codex_cli_rs/0.0.0 (linux; x64)', 'codex-task-type': 'standard', conversation_id: 'c1', session_id: 'c1',
};
const BODY = { model: 'gpt-5.4', stream: true, store: false, instructions: 'Be brief.', input: [{ type: 'message', role: 'user', content: 'hi' }], prompt_cache_key: 'c1' };

/**
 * The codex emulator is the only Codex endpoint the specs have: it must refuse what the real one
 * refuses (or lip's shaping would go unproven), and its stream must be the Responses stream the
 * OpenAI SDK accepts.
 */
describe('helpers/emulators: the codex emulator', () => {
  let emu: CodexEmulator;
  before(async () => { emu = await startCodexEmulator(); });
  after(() => emu.close());
  const post = (body: Record<string, unknown>, headers: Record<string, string> = HEADERS) => httpRequest(`${emu.url}/responses`, { body: JSON.stringify(body), headers });

  it('answers a well-formed request with the Responses stream and [DONE]', async () => {
    const r = await post(BODY);
    expect(r.status).to.equal(200);
    expect(r.body).to.contain('event: response.completed').and.match(/data: \[DONE\]\n\n$/);
  });

  it('streams what the OpenAI SDK accumulates', async () => {
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'codex-token-1', maxRetries: 0, defaultHeaders: { ...HEADERS } });
    const stream = client.responses.stream({ model: 'gpt-5.4', instructions: 'x', input: [{ role: 'user', content: 'hi' }], store: false, prompt_cache_key: 'c1' } as never);
    expect((await stream.finalResponse()).output_text).to.equal('Hello from the emulator.');
  });

  const refusals: [string, Record<string, unknown>, Record<string, string>, number, RegExp][] = [
    ['an unknown token', BODY, { ...HEADERS, authorization: 'Bearer nope' }, 401, /token has expired/],
    ['a missing originator', BODY, { ...HEADERS, originator: 'other' }, 400, /originator/],
    ['session_id unlike conversation_id', BODY, { ...HEADERS, session_id: 'c2' }, 400, /session_id/],
    ['store: true', { ...BODY, store: true }, HEADERS, 400, /Store/],
    ['stream: false', { ...BODY, stream: false }, HEADERS, 400, /Stream/],
    ['no instructions', { ...BODY, instructions: '' }, HEADERS, 400, /Instructions/],
    ['a system item', { ...BODY, input: [{ type: 'message', role: 'system', content: 'x' }] }, HEADERS, 400, /System messages/],
    ['temperature', { ...BODY, temperature: 0.2 }, HEADERS, 400, /Unsupported parameter: temperature/],
    ['text.verbosity high for a -codex model', { ...BODY, model: 'gpt-5.2-codex', text: { verbosity: 'high' } }, HEADERS, 400, /^Unsupported value: 'high' is not supported with the 'gpt-5.2-codex' model\. Supported values are: 'medium'\.$/],
    ['text.verbosity low for a -codex model', { ...BODY, model: 'gpt-5.1-codex-max', text: { verbosity: 'low' } }, HEADERS, 400, /'low' is not supported with the 'gpt-5.1-codex-max' model/],
  ];
  for (const [what, body, headers, status, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const r = await post(body, headers);
      expect(r.status).to.equal(status);
      expect(JSON.parse(r.body).error.message).to.match(message);
    });
  }

  it('answers an unsupported verbosity the way the service does, and takes medium (or none) for a -codex model and any for the others', async () => {
    const refused = JSON.parse((await post({ ...BODY, model: 'gpt-5.2-codex', text: { verbosity: 'high' } })).body);
    expect(refused.error).to.include({ type: 'invalid_request_error', param: 'text.verbosity', code: 'unsupported_value' });
    expect((await post({ ...BODY, model: 'gpt-5.2-codex', text: { verbosity: 'medium' } })).status).to.equal(200);
    expect((await post({ ...BODY, model: 'gpt-5.2-codex' })).status).to.equal(200);
    expect((await post({ ...BODY, text: { verbosity: 'high' } })).status).to.equal(200);
  });

  it('refreshes a known refresh token once (rotated) and accepts the new access token', async () => {
    const refresh = (token: string) => httpRequest(emu.tokenUrl, { body: JSON.stringify({ client_id: 'x', grant_type: 'refresh_token', refresh_token: token, scope: 'openid profile email' }) });
    const first = await refresh(CODEX_REFRESH_TOKEN);
    expect(first.status).to.equal(200);
    const { access_token, refresh_token } = JSON.parse(first.body);
    expect((await refresh(CODEX_REFRESH_TOKEN)).status, 'a used refresh token is spent').to.equal(400);
    expect(refresh_token).not.to.equal(CODEX_REFRESH_TOKEN);
    expect((await post(BODY, { ...HEADERS, authorization: `Bearer ${access_token}` })).status).to.equal(200);
  });
});
