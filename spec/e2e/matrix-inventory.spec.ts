import { bedrockRow } from '../helpers/config.js';
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import { EMULATOR_AWS, startAnthropicEmulator, startBedrockEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';

/** `lip inventory --live` against one emulator per backend kind (no network, no real keys). */
describe('e2e: lip inventory --live asks every enabled upstream', () => {
  let emulators: Emulator[];
  let dir: string;
  let path: string;
  before(async () => {
    emulators = await Promise.all([startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startAnthropicEmulator(), startGeminiEmulator(), startBedrockEmulator()]);
    const [chat, responses, anthropic, gemini, bedrock] = emulators as [Emulator, Emulator, Emulator, Emulator, Emulator];
    bedrock.models = ['anthropic.claude-x-v1:0', 'amazon.nova-y'];
    chat.models = ['gpt-b', 'gpt-a'];
    responses.models = ['gpt-r'];
    anthropic.models = ['claude-x'];
    gemini.models = ['gemini-y'];
    dir = mkdtempSync(join(tmpdir(), 'lip-inventory-'));
    path = join(dir, 'lip.yaml');
    writeFileSync(path, [
      'backends:',
      `  - { id: chat, kind: openai-chat, base_url: "${chat.url}", api_key_env: CHAT_KEY }`,
      `  - { id: resp, kind: openai-responses, base_url: "${responses.url}", api_key: rk-0123456789 }`,
      `  - { id: claude, kind: anthropic, base_url: "${anthropic.url}", api_key: ak-0123456789 }`,
      `  - { id: gem, kind: gemini, base_url: "${gemini.url}", api_key: gk-0123456789 }`,
      bedrockRow('br', bedrock),
      '  - { id: stub, kind: localstub, models: [s1] }',
      `  - { id: off, kind: openai-chat, enabled: false, base_url: "${chat.url}" }`,
    ].join('\n'));
  });
  after(async () => {
    await Promise.all(emulators.map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (args: string[], env: NodeJS.ProcessEnv) => {
    let out = '';
    let err = '';
    const code = await main(args, { out: (t) => { out += `${t}\n`; }, err: (t) => { err += `${t}\n`; } }, env);
    return { code, out, err };
  };

  it('lists what each upstream answers, with selectors, using each backend\'s key', async () => {
    const { code, out } = await run(['inventory', '--live', '--json', '--config', path], { CHAT_KEY: 'ck-0123456789' });
    expect(code).to.equal(0);
    const report = JSON.parse(out) as { backends: { id: string; live?: { models?: { id: string; selector: string }[] } }[] };
    const live = Object.fromEntries(report.backends.map((b) => [b.id, b.live?.models?.map((m) => m.selector)]));
    expect(live).to.deep.equal({
      chat: ['chat:gpt-a', 'chat:gpt-b'], resp: ['resp:gpt-r'], claude: ['claude:claude-x'], gem: ['gem:gemini-y'],
      br: ['br:amazon.nova-y', 'br:anthropic.claude-x-v1:0'], stub: ['stub:s1'], off: undefined,
    });
    const [chat, , anthropic, gemini, bedrock] = emulators as [Emulator, Emulator, Emulator, Emulator, Emulator];
    // A signed ListFoundationModels: the emulator refuses any signature it cannot recompute.
    expect(bedrock.requests.at(-1)).to.include({ path: '/foundation-models', key: EMULATOR_AWS.accessKeyId });
    expect(chat.requests.at(-1)).to.include({ path: '/v1/models', key: 'ck-0123456789' });
    expect(anthropic.requests.at(-1)).to.include({ path: '/v1/models', key: 'ak-0123456789' });
    expect(gemini.requests.at(-1)).to.include({ path: '/v1beta/models', key: 'gk-0123456789' });
  });

  it('reports an upstream that cannot list its models, and exits 1', async () => {
    const { code, out } = await run(['inventory', '--live', '--config', path], {});
    expect(code).to.equal(1);
    expect(out).to.match(/chat \(openai-chat\)\n {2}error: backend "chat" has no API key: set the environment variable CHAT_KEY/);
    expect(out).to.contain('  gem:gemini-y');
    expect(out).to.contain('off (openai-chat, disabled)\n  (disabled: not asked)');
  });
});
