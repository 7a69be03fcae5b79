import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Regression (found by running the docs' examples): a token count an upstream answered wrote an
 * access line without `backend`, which docs/logging.md says is the backend that counted; only a
 * failed count named its backend. A counted request now names it; an estimate (lip counted)
 * names none.
 */
describe('regression: a token count\'s access line names the backend that counted', function () {
  this.timeout(30_000);
  let claude: Emulator;
  let lip: RunningLip;
  let anthropic: Anthropic;
  before(async () => {
    claude = await startAnthropicEmulator();
    lip = await startLip(testConfig([
      `  - { id: claude, kind: anthropic, base_url: "${claude.url}", api_key: upstream-key-0123456789 }`,
      '  - { id: stub, kind: localstub, models: [stub-default] }',
    ].join('\n'), 'logging: { access_log: true }'));
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await claude?.close();
  });
  beforeEach(() => claude.reset());

  const count = (model: string, requestId: string) =>
    anthropic.messages.countTokens({ model, messages: [{ role: 'user', content: 'How many tokens?' }] }, { headers: { 'x-request-id': requestId } });
  const accessLine = async (requestId: string) => {
    await until(() => lip.logs.some((l) => l.request_id === requestId && l.message === 'request'), 'the access line');
    return lip.logs.find((l) => l.request_id === requestId && l.message === 'request')!;
  };

  it('an upstream count: the backend that counted', async () => {
    claude.enqueue({ usage: { input: 42, output: 0 } });
    expect(await count('claude:claude-sonnet-4-6', 'count-upstream-1')).to.deep.equal({ input_tokens: 42 });
    expect(await accessLine('count-upstream-1')).to.deep.include({ status: 200, backend: 'claude:claude-sonnet-4-6' });
  });

  it('a failed count: the backend that failed, and the error', async () => {
    claude.enqueue({ status: 400, error: { message: 'messages: too many' } });
    await count('claude:claude-sonnet-4-6', 'count-failed-1').catch(() => undefined);
    expect(await accessLine('count-failed-1')).to.deep.include({ status: 400, backend: 'claude:claude-sonnet-4-6', error: 'LIP_ERR_UPSTREAM_STATUS' });
  });

  it('an estimate (a backend without counts, an upstream without the endpoint): no backend', async () => {
    await count('stub:stub-default', 'count-estimate-1');
    expect(await accessLine('count-estimate-1')).to.include({ status: 200 }).and.not.to.have.property('backend');
    claude.enqueue({ status: 404, error: { message: 'Not found' } });
    await count('claude:claude-sonnet-4-6', 'count-estimate-2');
    expect(await accessLine('count-estimate-2')).to.include({ status: 200 }).and.not.to.have.property('backend');
  });
});
