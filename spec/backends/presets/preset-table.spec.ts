import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BACKEND_KIND_INFO, BACKEND_KINDS } from '../../../lib/backends/registry.js';
import { PRESETS } from '../../../lib/backends/presets/index.js';
import { emptyCall } from '../../../lib/canonical/index.js';
import { ConfigError } from '../../../lib/config/index.js';
import { configFrom } from '../../helpers/config.js';
import {
  backendOf, drain, runtimeFor, startAnthropicEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator,
} from '../../helpers/emulators/index.js';

const CONTRACT_PRESETS = ['openrouter', 'nvidia', 'huggingface', 'ollama', 'ollama-cloud', 'llamacpp', 'lmstudio', 'vllm', 'opencode-go', 'opencode-zen', 'custom-openai-chat', 'custom-openai-responses', 'custom-anthropic'];
/** Vendors beyond the contract's list (reasoning models that want their reasoning back; the Go original's Alibaba Token Plan), before the custom kinds. */
const MORE_PRESETS = ['deepseek', 'moonshot', 'zai', 'alibaba-token-plan-intl'];
/** Custom kinds beyond the contract's, each after the contract's custom kind of its base. */
const MORE_CUSTOM: Readonly<Record<string, string>> = { 'custom-openresponses': 'custom-openai-responses' };
/** The kinds in the table's order. */
const EXPECTED_KINDS = (() => {
  const custom = CONTRACT_PRESETS.indexOf('custom-openai-chat');
  const kinds = [...CONTRACT_PRESETS.slice(0, custom), ...MORE_PRESETS, ...CONTRACT_PRESETS.slice(custom)];
  for (const [kind, after] of Object.entries(MORE_CUSTOM)) kinds.splice(kinds.indexOf(after) + 1, 0, kind);
  return kinds;
})();
const DOC = readFileSync(new URL('../../../docs/backends/presets.md', import.meta.url), 'utf8');

/** The docs table rows: kind -> cells. */
function docRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of DOC.split('\n')) {
    const m = /^\| `([a-z0-9-]+)` \|/.exec(line);
    if (m) rows.set(m[1]!, line.split('|').slice(2, -1).map((c) => c.trim()));
  }
  return rows;
}

describe('backends/presets: vendors are table rows', () => {
  it('registers every preset of the contract as a kind, on its protocol\'s schema', () => {
    expect(PRESETS.map((p) => p.kind)).to.deep.equal(EXPECTED_KINDS);
    for (const p of PRESETS) {
      const kind = BACKEND_KINDS[p.kind]!;
      expect(kind, p.kind).to.not.equal(undefined);
      expect(Object.keys(kind.properties), p.kind).to.include.members(Object.keys(BACKEND_KINDS[p.base]!.properties));
      expect(kind.defaultModel).to.equal(p.models[0]);
    }
  });

  it('docs/backends/presets.md lists exactly the table, with the same defaults', () => {
    const rows = docRows();
    expect([...rows.keys()]).to.deep.equal(PRESETS.map((p) => p.kind));
    for (const p of PRESETS) {
      const [protocol, baseUrl, keyEnv, model, quirks, catalog] = rows.get(p.kind)!;
      expect(catalog, p.kind).to.equal(p.catalog ? `\`${p.catalog}\`` : '—');
      expect(BACKEND_KINDS[p.kind]!.catalogProvider, p.kind).to.equal(p.catalog);
      expect(protocol, p.kind).to.equal(p.base);
      expect(baseUrl, p.kind).to.equal(p.requireBaseUrl ? '*(required)*' : `\`${String(p.defaults.base_url)}\``);
      expect(keyEnv, p.kind).to.equal(p.keyEnv ? `\`${p.keyEnv}\`` : '—');
      expect(model, p.kind).to.equal(`\`${p.models[0]}\``);
      const flags = Object.entries(p.defaults).filter(([k]) => k !== 'base_url')
        .map(([k, v]) => (typeof v === 'object' ? `\`${k}: {${Object.entries(v as object).map(([a, b]) => `${a}: ${String(b)}`).join(', ')}}\`` : `\`${k}: ${String(v)}\``));
      expect(quirks, p.kind).to.equal(flags.length > 0 ? flags.join(', ') : '—');
    }
  });

  it('docs/backends/overview.md names every kind\'s and preset\'s default key variable', () => {
    const overview = readFileSync(new URL('../../../docs/backends/overview.md', import.meta.url), 'utf8');
    const row = overview.split('\n').find((line) => line.startsWith('| *(none of them)* |'))!;
    const named = [...row.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]);
    expect(named).to.deep.equal([...new Set(Object.values(BACKEND_KIND_INFO).map((k) => k.keyEnv).filter((v) => v !== undefined))]);
  });

  it('fills a row with the preset defaults; the row overrides them', () => {
    const config = configFrom('backends:\n  - { id: a, kind: openrouter }\n  - { id: b, kind: ollama, base_url: "http://gpu:11434/v1", max_tokens_field: max_completion_tokens }');
    expect(config.backends[0]).to.deep.include({ base_url: 'https://openrouter.ai/api/v1', max_tokens_field: 'max_tokens', reasoning_param: 'reasoning', headers: {} });
    expect(config.backends[1]).to.deep.include({ base_url: 'http://gpu:11434/v1', auth: 'bearer', max_tokens_field: 'max_completion_tokens' });
    expect(config.routing.default_route).to.equal('a:openai/gpt-5.4-mini');
  });

  it('rejects a custom row without base_url, naming the key', () => {
    for (const kind of ['custom-openai-chat', 'custom-openai-responses', 'custom-anthropic']) {
      const err = (() => { try { configFrom(`backends:\n  - { id: c, kind: ${kind} }`); } catch (e) { return e; } return undefined; })();
      expect(err, kind).to.be.instanceOf(ConfigError);
      expect((err as Error).message, kind).to.match(/backends\[0\]: missing required key "base_url"/);
    }
  });
});

describe('backends/presets: each preset on the wire', () => {
  let chat: Emulator;
  let responses: Emulator;
  let anthropic: Emulator;
  const env = { OPENROUTER_API_KEY: 'or-key-0123456789', NVIDIA_API_KEY: 'nv-key-0123456789', HF_TOKEN: 'hf-key-0123456789', OLLAMA_API_KEY: 'ol-key-0123456789', OPENCODE_API_KEY: 'oc-key-0123456789', DEEPSEEK_API_KEY: 'ds-key-0123456789', OPENAI_API_KEY: 'never-sent-0123456789', ALIBABA_TOKEN_PLAN_API_KEY: 'tp-key-0123456789', ANTHROPIC_API_KEY: 'never-sent-0123456789' };
  const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], options: { maxOutputTokens: 10, reasoning: { effort: 'low' } } });
  before(async () => {
    [chat, responses, anthropic] = await Promise.all([startOpenAIChatEmulator(), startOpenAIResponsesEmulator(), startAnthropicEmulator()]);
  });
  after(() => Promise.all([chat, responses, anthropic].map((e) => e.close())));

  /** One request through a preset row pointed at an emulator; returns what the emulator received. */
  const send = async (kind: string, emu: Emulator) => {
    emu.reset();
    const runtime = runtimeFor(`  - { id: p, kind: ${kind}, base_url: "${emu.url}" }`, env);
    try {
      const { error } = await drain(backendOf(runtime, 'p').stream(call, { model: 'm', candidateKey: 'p:m' }));
      expect(error, kind).to.equal(undefined);
      return emu.requests[0]!;
    } finally {
      await runtime.close();
    }
  };
  const expected: Record<string, { key?: string; body: Record<string, unknown>; absent?: string[]; headers?: Record<string, string> }> = {
    // The app attribution of lip's identity policy (its product title; lip has no app URL of its own).
    openrouter: { key: 'or-key-0123456789', body: { max_tokens: 10, reasoning: { effort: 'low' } }, absent: ['reasoning_effort'], headers: { 'x-openrouter-title': 'lip' } },
    nvidia: { key: 'nv-key-0123456789', body: { max_tokens: 10 }, absent: ['reasoning_effort', 'reasoning'] },
    huggingface: { key: 'hf-key-0123456789', body: { max_tokens: 10, reasoning_effort: 'low' } },
    ollama: { body: { max_tokens: 10, reasoning_effort: 'low' } },
    'ollama-cloud': { key: 'ol-key-0123456789', body: { max_tokens: 10 } },
    llamacpp: { body: { max_tokens: 10 }, absent: ['reasoning_effort'] },
    lmstudio: { body: { max_tokens: 10 } },
    vllm: { body: { max_tokens: 10 } },
    'opencode-go': { key: 'oc-key-0123456789', body: { max_tokens: 10 } },
    'opencode-zen': { key: 'oc-key-0123456789', body: { max_tokens: 10 } },
    // DeepSeek's thinking mode: the switch and its effort.
    deepseek: { key: 'ds-key-0123456789', body: { max_tokens: 10, thinking: { type: 'enabled' }, reasoning_effort: 'low' } },
    'custom-openai-chat': { body: { max_tokens: 10, stream_options: { include_usage: true } } },
  };
  for (const [kind, e] of Object.entries(expected)) {
    it(`${kind}: its endpoint, its key (or none) and its quirks`, async () => {
      const req = await send(kind, chat);
      expect(req.path).to.equal('/v1/chat/completions');
      expect(req.key).to.equal(e.key);
      expect(req.body).to.deep.include(e.body);
      for (const field of e.absent ?? []) expect(req.body, field).not.to.have.property(field);
      for (const [name, value] of Object.entries(e.headers ?? {})) expect(req.headers[name]).to.equal(value);
    });
  }

  it('alibaba-token-plan-intl speaks Anthropic Messages with its own key variable (never ANTHROPIC_API_KEY)', async () => {
    const a = await send('alibaba-token-plan-intl', anthropic);
    expect(a).to.include({ path: '/v1/messages', key: 'tp-key-0123456789' });
    expect(a.headers['anthropic-version']).to.equal('2023-06-01');
    expect(configFrom('backends:\n  - { id: t, kind: alibaba-token-plan-intl }').backends[0]).to.deep.include({ base_url: 'https://token-plan.ap-southeast-1.maas.aliyuncs.com/apps/anthropic' });
  });

  /**
   * Found by a probe of the presets: the local presets defaulted to `auth: none`, so a key their
   * row gave was never sent, and the 401 of a server that wants one retired that unsent key:
   * the backend answered LIP_ERR_UPSTREAM_NO_CREDENTIALS until a reload. A key the row gives now
   * goes out (Bearer); an explicit `auth: none` row sends none and keeps no key to retire.
   */
  describe('a local preset given a key', () => {
    const sendAll = async (row: string, times: number, script?: () => void) => {
      chat.reset();
      script?.();
      const runtime = runtimeFor(`  - { id: p, base_url: "${chat.url}", ${row} }`, env);
      try {
        const errors = [];
        for (let i = 0; i < times; i++) errors.push((await drain(backendOf(runtime, 'p').stream(call, { model: 'm', candidateKey: 'p:m' }))).error);
        return errors;
      } finally {
        await runtime.close();
      }
    };
    for (const kind of ['ollama', 'lmstudio', 'llamacpp']) {
      it(`${kind}: sends it as a Bearer token, and none without one`, async () => {
        expect(await sendAll(`kind: ${kind}, api_key: local-secret-0123`, 1)).to.deep.equal([undefined]);
        expect(chat.requests[0]!.headers.authorization).to.equal('Bearer local-secret-0123');
        expect(await sendAll(`kind: ${kind}`, 1)).to.deep.equal([undefined]);
        expect(chat.requests[0]!.headers).not.to.have.property('authorization');
      });
    }

    it('with auth: none sends no key, and a 401 retires none: the next request goes out', async () => {
      const [first, second] = await sendAll('kind: ollama, auth: none, api_key: local-secret-0123', 2, () => chat.enqueue({ status: 401, error: { message: 'unauthorized' } }));
      expect(first).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 401 });
      expect(second).to.equal(undefined);
      expect(chat.requests).to.have.length(2);
      for (const r of chat.requests) expect(r.headers).not.to.have.property('authorization');
    });
  });

  it('custom-openai-responses and custom-anthropic speak their protocols, keyless unless given a key', async () => {
    const r = await send('custom-openai-responses', responses);
    expect(r).to.include({ path: '/v1/responses', key: undefined });
    const a = await send('custom-anthropic', anthropic);
    expect(a).to.include({ path: '/v1/messages', key: undefined });
    expect(a.headers['anthropic-version']).to.equal('2023-06-01');
  });
});
