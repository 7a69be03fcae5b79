import { expect } from 'chai';
import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import type { Backend } from '../../lib/backends/backend.js';
import { emptyCall, type LipEvent } from '../../lib/canonical/index.js';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import { candidateAllow } from '../../lib/core/candidate-allow.js';
import { Executor, type ExecutionMeta } from '../../lib/core/execute.js';
import { MemoryAnswerStore, ResponseCache } from '../../lib/core/response-cache.js';
import { LipError } from '../../lib/errors/index.js';
import { configIssues, testConfig } from '../helpers/config.js';
import { ScriptedBackend, type ScriptStep } from '../helpers/scripted-backend.js';

const key = (allow?: string[]): ApiKeyConfig => ({ id: 'k1', key: 'x'.repeat(20), principal: 'p', ...(allow ? { allow } : {}) });
const ANSWER: ScriptStep[] = [{ type: 'response_started' }, { type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' }];

describe('core/candidate-allow', () => {
  it('patterns: backend:model with * for any run; a bare backend is all its models; nothing else is a wildcard', () => {
    const allow = candidateAllow(key(['local', 'openai:gpt-4o-*', '*:shared-model', 'a.b:m(1)']))!;
    expect(allow.keyId).to.equal('k1');
    const cases: [string, string, boolean][] = [
      ['local', 'anything', true], ['localx', 'anything', false],
      ['openai', 'gpt-4o-mini', true], ['openai', 'gpt-4o', false], ['openai', 'o3', false],
      ['anthropic', 'shared-model', true], ['anthropic', 'shared-model-2', false],
      ['a.b', 'm(1)', true], ['aXb', 'm(1)', false], ['a.b', 'm1', false],
    ];
    expect(cases.map(([b, m]) => allow.allows(b, m))).to.deep.equal(cases.map(([, , want]) => want));
    expect(candidateAllow(key())).to.equal(undefined);
    expect(candidateAllow(undefined)).to.equal(undefined);
    const row = key(['x']);
    expect(candidateAllow(row)).to.equal(candidateAllow(row)); // compiled once per row
  });

  it('matches as the regex it replaced did (`*` is `.*`, all else literal, case-sensitive) on random small inputs', () => {
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const asRegex = (p: string) => new RegExp(`^${(p.includes(':') ? p : `${p}:*`).split('*').map(escape).join('.*')}$`, 's');
    const text = (max: number) => fc.array(fc.constantFrom('*', ':', '-', '.', 'a', 'A', 'b', '\n', '(', '$', '\\'), { maxLength: max }).map((c) => c.join(''));
    fc.assert(fc.property(text(8), text(5), text(7), (p, backend, model) => {
      const allow = candidateAllow(key([p]))!;
      expect(allow.allows(backend, model), `${p} vs ${backend}:${model}`).to.equal(asRegex(p).test(`${backend}:${model}`));
    }), { numRuns: 2000 });
  });

  it('matches in linear time: a 100k-character model against many stars answers at once (the regex backtracked for hours)', () => {
    const allow = candidateAllow(key(['stub:*-*-*-mini', 'stub:*-*-*-*-*-*-x-']))!;
    const model = `${'-'.repeat(100_000)}x`;
    expect([allow.allows('stub', model), allow.allows('stub', `${model}-mini`), allow.allows('stub', `${model}-`)]).to.deep.equal([false, true, true]);
  });

  it('config: a pattern naming no configured backend is refused, naming it; a wildcard backend is not checked', () => {
    const issues = configIssues('backends: [{ id: a, kind: localstub }]\nauth: { api_keys: [{ id: k, key: "0123456789abcdefghij", allow: ["a:*", "*:m", "b:m", "typo"] }] }');
    expect(issues).to.deep.equal([
      'auth.api_keys[0].allow[2]: names no configured backend "b" (a pattern is backend:model, * for any run of characters)',
      'auth.api_keys[0].allow[3]: names no configured backend "typo" (a pattern is backend:model, * for any run of characters)',
    ]);
  });

  describe('in the executor', () => {
    let a: ScriptedBackend;
    let b: ScriptedBackend;
    let executor: Executor;
    beforeEach(() => {
      a = new ScriptedBackend('a', new Map([['m', ANSWER]]));
      b = new ScriptedBackend('b', new Map([['m', ANSWER]]));
      executor = new Executor(testConfig('  - { id: a, kind: localstub }\n  - { id: b, kind: localstub }', 'routing: { default_route: "a:m" }'), new Map<string, Backend>([['a', a], ['b', b]]));
    });
    const run = (route: string, allow: string[], meta: ExecutionMeta = {}): Promise<LipEvent[]> => lastValueFrom(executor.execute(emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'q' }] }] }), {
      requestId: 'r', meta, routeHeader: route, principal: 'p', allow: candidateAllow(key(allow))!,
    }).pipe(toArray()));

    it('skips the candidates the key may not use (the journal says why) and serves from one it may', async () => {
      const meta: ExecutionMeta = {};
      await run('a:m|b:m', ['b'], meta);
      expect(meta.candidateKey).to.equal('b:m');
      expect([a.calls.length, b.calls.length]).to.deep.equal([0, 1]);
      expect(meta.journal?.find((e) => e.key === 'a:m')).to.deep.include({ outcome: 'skipped', reason: 'not allowed for API key "k1"' });
    });

    it('a route with no candidate the key may use is a 403 naming them, and no backend is called', async () => {
      const err = await run('a:m!b:m', ['c:*']).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(LipError);
      expect((err as LipError).code).to.equal('LIP_ERR_AUTH_CANDIDATE_FORBIDDEN');
      expect((err as LipError).status).to.equal(403);
      expect((err as LipError).message).to.equal('API key "k1" may not use any candidate of this route (a:m, b:m); auth.api_keys[].allow lists what it may use');
      expect([a.calls.length, b.calls.length]).to.deep.equal([0, 0]);
    });

    it('a kept answer of a candidate the key may not use is a miss for it (the response cache)', async () => {
      const cache = new ResponseCache({ enabled: true, store: 'memory', ttl: 60_000, max_bytes: 1_000_000, max_entry_bytes: 100_000, scope: 'global' }, new MemoryAnswerStore(60_000, 1_000_000));
      executor = new Executor(testConfig('  - { id: a, kind: localstub }\n  - { id: b, kind: localstub }', 'routing: { default_route: "a:m" }'), new Map<string, Backend>([['a', a], ['b', b]]), { cache });
      await run('a:m|b:m', ['a', 'b']);
      const meta: ExecutionMeta = {};
      await run('a:m|b:m', ['b'], meta);
      expect(meta).to.include({ cache: 'miss', candidateKey: 'b:m' });
      // The answer b gave is kept in its place: a key that may use b is given it.
      const again: ExecutionMeta = {};
      await run('a:m|b:m', ['a', 'b'], again);
      expect(again).to.include({ cache: 'hit', candidateKey: 'b:m' });
      expect([a.calls.length, b.calls.length]).to.deep.equal([1, 1]);
    });
  });
});
