import { expect } from 'chai';
import type { Call } from '../../../../lib/canonical/index.js';
import { BUILTIN_DETECTORS, secretsGuard, type SecretsGuardConfig } from '../../../../lib/extensions/features/secrets-guard/index.js';
import { compileDetectors } from '../../../../lib/extensions/features/secrets-guard/detectors.js';
import { scanCall } from '../../../../lib/extensions/features/secrets-guard/scan-call.js';
import { configIssues } from '../../../helpers/config.js';
import { hookContext, memoryLogger, userCall } from '../../fixtures.js';

/** Credential-shaped samples (fake, but of the real shapes), one per built-in detector. */
export const SAMPLES: Record<string, string> = {
  openai_api_key: 'sk-proj-Abc123Def456Ghi789Jkl012Mno345',
  anthropic_api_key: 'sk-ant-api03-Abc123Def456Ghi789Jkl012',
  aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
  google_api_key: 'AIzaSyA1234567890abcdefghijklmnopqrstuv',
  github_token: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
  slack_token: 'xoxb-123456789012-abcdefghij',
  stripe_key: 'sk_live_abcdefghijklmnopqrstuvwx',
  bearer_token: 'Bearer eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop',
  private_key: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
};

const defaults: SecretsGuardConfig = { mode: 'redact', builtin: true, patterns: [], replacement: '[REDACTED:{id}]', block_message: 'no secrets', order: 50 };
const build = (config: Partial<SecretsGuardConfig> = {}, replaying = false) => {
  const logger = memoryLogger();
  const hook = secretsGuard.create({ ...defaults, ...config }, { featureId: 'secrets-guard', logger, state: undefined as never, ...(replaying ? { replaying } : {}) }).secretGuards![0]!;
  return { run: (call: Call) => hook.run(call, hookContext()), logger };
};

describe('secrets-guard', () => {
  for (const [id, sample] of Object.entries(SAMPLES)) {
    it(`finds ${id} (and only that detector)`, () => {
      const { findings } = scanCall(userCall(`here: ${sample} ok`), BUILTIN_DETECTORS);
      expect([...findings]).to.deep.equal([[id, 1]]);
    });
  }

  it('finds an armored PGP secret key block, from its BEGIN line to its END line', () => {
    const pgp = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0000000000000000000000000000\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----';
    const { call, findings } = scanCall(userCall(`key:\n${pgp}\nthanks`), BUILTIN_DETECTORS, '[R:{id}]');
    expect([...findings]).to.deep.equal([['private_key', 1]]);
    expect(call.messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'key:\n[R:private_key]\nthanks' });
    // A public key block is no secret.
    expect(scanCall(userCall('-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF\n-----END PGP PUBLIC KEY BLOCK-----'), BUILTIN_DETECTORS).findings.size).to.equal(0);
  });

  it('openai_api_key: real key shapes, also right after a URL-encoded byte; kebab-case names and UUIDs after `sk-` are no keys', () => {
    const found = (text: string) => Object.fromEntries(scanCall(userCall(text), BUILTIN_DETECTORS).findings);
    const legacy = 'sk-T3BlbkFJabcdefGHIJKL0123456789mnopqrSTUVwxyz01234567';
    const project = 'sk-proj-Ab3_dE-fGh1JkLmN0pQrStUvWxYz-0123456789_aBcDeFgHiJkLmNoPqRsTuVwXyZ';
    for (const key of [legacy, project, 'sk-svcacct-Abc123Def456Ghi789Jkl012', 'sk-admin-Abc123Def456Ghi789Jkl012', 'sk-None-Abc123Def456Ghi789Jkl012Mno345Pqr678']) {
      expect(found(`OPENAI_API_KEY=${key}`), key).to.deep.equal({ openai_api_key: 1 });
      expect(found(`q=%22${key}%22&x=1`), `${key} URL-encoded`).to.deep.equal({ openai_api_key: 1 });
    }
    expect(scanCall(userCall(`q=%22${legacy}%22`), BUILTIN_DETECTORS, '[R]').call.messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'q=%22[R]%22' });
    for (const text of [
      'git checkout sk-feature-branch-for-login-page',
      'git checkout sk-feature-branch-for-the-new-login-page-2024',
      'id: sk-12345678-1234-1234-1234-123456789012',
      'id: sk-1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      'the task-management-system-for-everyone is ready',
      'a mask-abcdefghijklmnopqrstuvwxyz0123456789 inside a word',
    ]) expect(found(text), text).to.deep.equal({});
    // Other prefix-anchored detectors after a URL-encoded byte too.
    expect(found(`k=%22${SAMPLES.aws_access_key_id}%22`)).to.deep.equal({ aws_access_key_id: 1 });
    expect(found(`k=%3D${SAMPLES.anthropic_api_key}`)).to.deep.equal({ anthropic_api_key: 1 });
  });

  it('leaves ordinary text alone (the call object itself is returned)', () => {
    const call = userCall('the key to success is sk-ill and a bearer of good news; AKIA is short');
    expect(build().run(call)).to.equal(call);
  });

  it('redact replaces every match in system text, messages, tool arguments and tool results', () => {
    const key = SAMPLES.openai_api_key!;
    const call = userCall(`use ${key} twice: ${key}`, {
      system: [{ type: 'text', text: `system ${SAMPLES.aws_access_key_id}` }],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: `use ${key} twice: ${key}` }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'login', arguments: JSON.stringify({ token: SAMPLES.github_token }) }] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 't1', content: [{ type: 'text', text: `ok ${SAMPLES.stripe_key}` }] }] },
      ],
    });
    const out = build().run(call) as Call;
    const text = JSON.stringify(out);
    for (const s of Object.values(SAMPLES)) expect(text).to.not.contain(s);
    expect(out.messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'use [REDACTED:openai_api_key] twice: [REDACTED:openai_api_key]' });
    expect(JSON.parse((out.messages[1]!.parts[0] as { arguments: string }).arguments)).to.deep.equal({ token: '[REDACTED:github_token]' });
    expect(out.system[0]!.text).to.equal('system [REDACTED:aws_access_key_id]');
  });

  it('redact reaches search results and a tool result as written (its images left alone); a match in both forms counts once', () => {
    const key = SAMPLES.openai_api_key!;
    // Base64 that happens to look like a credential: images are not scanned, in either form.
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: `iVBORw0K/${SAMPLES.aws_access_key_id}/Ggo=` } };
    const call = userCall('hi', {
      messages: [
        { role: 'user', parts: [{ type: 'search_result', source: 'https://wiki.example', title: 'Notes', content: [{ type: 'text', text: `key ${key}` }] }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'navigate', arguments: '{}' }] },
        { role: 'tool', parts: [{
          type: 'tool_result', callId: 't1', content: [{ type: 'text', text: `page says ${key}` }, { type: 'text', text: 'Browser tabs: none.' }],
          written: { dialect: 'anthropic', item: { type: 'tool_result', content: [{ type: 'text', text: `page says ${key}` }, image, { type: 'browser_state', tabs: [] }] } },
        }] },
      ],
    });
    const { call: out, findings } = scanCall(call, BUILTIN_DETECTORS, '[REDACTED:{id}]');
    expect([...findings]).to.deep.equal([['openai_api_key', 2]]);
    expect(JSON.stringify(out)).to.not.contain(key);
    expect(out.messages[0]!.parts[0]).to.deep.include({ content: [{ type: 'text', text: 'key [REDACTED:openai_api_key]' }] });
    const result = out.messages[2]!.parts[0] as Extract<Call['messages'][number]['parts'][number], { type: 'tool_result' }>;
    expect(result.written!.item).to.deep.equal({ type: 'tool_result', content: [{ type: 'text', text: 'page says [REDACTED:openai_api_key]' }, image, { type: 'browser_state', tabs: [] }] });
    expect(scanCall(call, BUILTIN_DETECTORS).call).to.equal(call);
  });

  it('redact reaches reasoning summaries, hosted searches and tool records (their opaque payloads left alone); text kept twice counts once', () => {
    const key = SAMPLES.openai_api_key!;
    // Opaque payloads that happen to hold a credential's shape: only their provider reads them.
    const opaque = `Eo4B/${SAMPLES.aws_access_key_id}/Ggo=`;
    const call = userCall('hi', {
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', parts: [
          { type: 'reasoning', dialect: 'openai-responses', id: 'rs_1', text: `a\n\nkey ${key}`, summary: ['a', `key ${key}`], opaque },
          { type: 'web_search', id: 'ws_1', status: 'completed', query: `who owns ${key}`, results: [{ url: 'https://a.example', title: `About ${key}`, encrypted: opaque }], dialect: 'anthropic' },
          { type: 'hosted_tool', dialect: 'openai-responses', block: { type: 'code_interpreter_call', id: 'ci_1', code: `print("${key}")`, outputs: [{ type: 'logs', logs: key }] } },
          { type: 'hosted_tool', dialect: 'anthropic', block: { type: 'compaction', content: `summary ${key}`, encrypted_content: opaque }, compaction: { summary: `summary ${key}` } },
        ] },
      ],
    });
    const { call: out, findings } = scanCall(call, BUILTIN_DETECTORS, '[X]');
    // Reasoning 1, search query and title 2, code and logs 2, compaction 1 (the block and its summary are one text).
    expect([...findings]).to.deep.equal([['openai_api_key', 6]]);
    const [reasoning, search, code, compaction] = out.messages[1]!.parts;
    expect(reasoning).to.deep.equal({ type: 'reasoning', dialect: 'openai-responses', id: 'rs_1', text: 'a\n\nkey [X]', summary: ['a', 'key [X]'], opaque });
    expect(search).to.deep.include({ query: 'who owns [X]', results: [{ url: 'https://a.example', title: 'About [X]', encrypted: opaque }] });
    expect(code).to.deep.include({ block: { type: 'code_interpreter_call', id: 'ci_1', code: 'print("[X]")', outputs: [{ type: 'logs', logs: '[X]' }] } });
    expect(compaction).to.deep.include({ block: { type: 'compaction', content: 'summary [X]', encrypted_content: opaque }, compaction: { summary: 'summary [X]' } });
  });

  it('redact reads JSON tool-call arguments value by value (keys kept, even `__proto__`); other arguments as text', () => {
    const key = SAMPLES.openai_api_key!;
    const call = (args: string, custom?: boolean) => userCall('hi', { messages: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'f', arguments: args, ...(custom ? { custom } : {}) }] }] });
    const argsOf = (args: string, custom?: boolean) => (scanCall(call(args, custom), BUILTIN_DETECTORS, '"{id}"').call.messages[0]!.parts[0] as { arguments: string }).arguments;
    expect(argsOf(`{"__proto__":{"k":"${key}"},"n":1}`)).to.equal('{"__proto__":{"k":"\\"openai_api_key\\""},"n":1}');
    expect(argsOf(`{"k":"${key}`)).to.equal('{"k":""openai_api_key"');
    expect(argsOf(`"${key}"`, true)).to.equal('""openai_api_key""');
  });

  it('block answers a 400 rejection; log passes the call unchanged; neither logs the match', () => {
    const call = userCall(`my key ${SAMPLES.anthropic_api_key}`);
    const blocked = build({ mode: 'block' });
    expect(blocked.run(call)).to.deep.equal({ reject: 'no secrets', status: 400 });
    const logged = build({ mode: 'log' });
    expect(logged.run(call)).to.equal(call);
    for (const { logger } of [blocked, logged]) {
      expect(JSON.stringify(logger.lines)).to.not.contain(SAMPLES.anthropic_api_key);
      expect(JSON.stringify(logger.lines)).to.not.contain('sk-ant');
      expect(logger.lines[0]!.meta).to.deep.include({ detectors: { anthropic_api_key: 1 } });
    }
  });

  it('replaying, block takes its own replacement for a match (a recorded request it blocked); serving, or in log and redact mode, never', () => {
    const placeholder = userCall('my key [REDACTED:aws_access_key_id] ok');
    const replayed = build({ mode: 'block' }, true);
    expect(replayed.run(placeholder)).to.deep.equal({ reject: 'no secrets', status: 400 });
    expect(replayed.logger.lines[0]!.meta).to.deep.include({ detectors: { aws_access_key_id: 1 } });
    // A configured replacement and a configured detector's.
    const custom = { mode: 'block' as const, replacement: '<<$&{id}>>', patterns: [{ id: 'employee_id', regex: 'EMP-[0-9]{6}' }] };
    expect(build(custom, true).run(userCall('id <<$&employee_id>>'))).to.deep.equal({ reject: 'no secrets', status: 400 });
    expect(build(custom, true).run(userCall('id [REDACTED:employee_id]'))).to.not.have.property('reject');
    expect(build({ mode: 'block' }).run(placeholder)).to.equal(placeholder);
    for (const mode of ['log', 'redact'] as const) expect(build({ mode }, true).run(placeholder)).to.deep.equal(placeholder);
  });

  it('redacts the traffic plane\'s copies of the body and the call in every mode (events: stream-observations.e2e.spec.ts)', () => {
    const bundle = secretsGuard.create({ ...defaults, mode: 'log' }, { featureId: 'secrets-guard', logger: memoryLogger(), state: undefined as never });
    const redactor = bundle.trafficRedactors![0]!;
    const base = { requestId: 'r', leg: 'client_to_proxy' as const, at: 1 };
    const body = redactor.redact({ ...base, kind: 'raw_body', body: { messages: [{ role: 'user', content: [{ text: `k ${SAMPLES.google_api_key}` }] }] } });
    expect(JSON.stringify(body)).to.not.contain(SAMPLES.google_api_key);
    expect(JSON.stringify(body)).to.contain('[REDACTED:google_api_key]');
    const call = redactor.redact({ ...base, kind: 'call', call: userCall(`k ${SAMPLES.slack_token}`) });
    expect(JSON.stringify(call)).to.not.contain(SAMPLES.slack_token);
    // Streamed text is held back (to be redacted whole across deltas) and goes out before the stream's next other event.
    const event = { ...base, leg: 'proxy_to_client' as const, kind: 'event' as const, event: { type: 'text_delta' as const, text: 'x' } };
    expect(redactor.redact(event)).to.deep.equal([]);
    const usage = { ...event, event: { type: 'usage' as const, usage: { inputTokens: 1, outputTokens: 1 } } };
    expect(redactor.redact(usage)).to.deep.equal([event, usage]);
  });

  it('a replacement holding `$&` is written as it is in the traffic plane\'s copies too (never the match put back)', () => {
    const bundle = secretsGuard.create({ ...defaults, replacement: '<$&>' }, { featureId: 'secrets-guard', logger: memoryLogger(), state: undefined as never });
    const copy = bundle.trafficRedactors![0]!.redact({ requestId: 'r', leg: 'client_to_proxy', at: 1, kind: 'raw_body', body: { text: `k ${SAMPLES.google_api_key}` } });
    expect(JSON.stringify(copy)).to.not.contain(SAMPLES.google_api_key);
    expect(JSON.stringify(copy)).to.contain('k <$&>');
  });

  it('configured patterns add detectors; unsafe or empty-matching ones are refused', () => {
    const { run } = build({ builtin: false, patterns: [{ id: 'employee_id', regex: 'EMP-[0-9]{6}' }] });
    expect((run(userCall('badge EMP-123456 and sk-proj-notscannedbecausebuiltinoff123')) as Call).messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'badge [REDACTED:employee_id] and sk-proj-notscannedbecausebuiltinoff123' });
    expect(() => compileDetectors([{ id: 'bad', regex: '(a+)+$' }])).to.throw(/catastrophically/);
    expect(() => compileDetectors([{ id: 'empty', regex: 'x*' }])).to.throw(/empty string/);
    expect(() => compileDetectors([{ id: 'broken', regex: '[' }])).to.throw(/broken/);
  });

  it('a pattern that can match an empty string inside text (not alone) is refused at load, located', () => {
    for (const regex of ['\\b[0-9]*\\b', '\\b[A-Z]{0,3}', '(?:EMP-[0-9]+)?\\b']) {
      expect(() => compileDetectors([{ id: 'ticket', regex }])).to.throw(/can match an empty string/);
      const yaml = `server: { host: 127.0.0.1, port: 0 }\nbackends: [{ id: stub, kind: localstub }]\nfeatures:\n  - { id: secrets-guard, config: { mode: block, builtin: false, patterns: [{ id: ticket, regex: '${regex}' }] } }`;
      const issues = configIssues(yaml);
      expect(issues).to.have.length(1);
      expect(issues[0]).to.match(/^features\[0\]\.config\.patterns\[0\]\.regex: the regex can match an empty string/);
    }
    expect(() => compileDetectors([{ id: 'ticket', regex: '\\bT-[0-9]+\\b' }, { id: 'tail', regex: 'END$', flags: 'm' }])).to.not.throw();
  });

  it('a zero-length match of a detector is no finding and inserts nothing', () => {
    const loose = { id: 'loose', pattern: /\b[0-9]*\b/g };
    const call = userCall('hello world');
    expect(scanCall(call, [loose], '[R]')).to.deep.equal({ call, findings: new Map() });
    const { call: out, findings } = scanCall(userCall('ticket 1234 done'), [loose], '[R]');
    expect([...findings]).to.deep.equal([['loose', 1]]);
    expect(out.messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'ticket [R] done' });
  });

  it('the built-in detectors stay linear on hostile input (100 KiB of near-misses in well under a second)', () => {
    const hostile = `${'sk-'.repeat(20_000)}${'-----BEGIN PRIVATE KEY-----'.repeat(1000)}${'Bearer '.repeat(5000)}`;
    const t0 = Date.now();
    scanCall(userCall(hostile), BUILTIN_DETECTORS, '[x]');
    expect(Date.now() - t0).to.be.lessThan(5_000); // generous: catastrophic would be hours
  });
});
