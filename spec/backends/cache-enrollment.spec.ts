import { expect } from 'chai';
import { enrollInCache } from '../../lib/backends/cache-marks.js';
import { emptyCall, type Call, type Message } from '../../lib/canonical/index.js';
import { ConfigError, formatIssue } from '../../lib/config/index.js';
import { bedrockRow, configFrom } from '../helpers/config.js';
import { drain, startAnthropicEmulator, startBedrockEmulator, useEmulatedBackend } from '../helpers/emulators/index.js';

const user = (text: string, cache?: { ttl?: string }): Message => ({ role: 'user', parts: [{ type: 'text', text, ...(cache ? { cache } : {}) }] });
const call = (over: Partial<Call>): Call => emptyCall({ model: 'm', ...over });
const marksOf = (c: Call) => [
  ...c.tools.map((t: { cache?: unknown }) => t.cache), ...c.system.map((p) => p.cache), ...c.messages.flatMap((m) => m.parts.map((p) => (p as { cache?: unknown }).cache)),
].filter((m) => m !== undefined);

describe('backends: cache_enrollment (the automatic breakpoint lip adds on anthropic and bedrock rows)', () => {
  it('marks the last cacheable block: the last message\'s, else the system, else the last tool', () => {
    const conversation = enrollInCache(call({ system: [{ type: 'text', text: 'sys' }], messages: [user('a'), { role: 'assistant', parts: [{ type: 'reasoning', dialect: 'x', text: 't' }] }] }), '5m');
    expect(conversation.messages[0]!.parts[0]).to.deep.equal({ type: 'text', text: 'a', cache: {} }); // thinking cannot carry one
    expect(enrollInCache(call({ system: [{ type: 'text', text: 'sys' }] }), '1h').system[0]).to.deep.equal({ type: 'text', text: 'sys', cache: { ttl: '1h' } });
    expect(enrollInCache(call({ tools: [{ name: 'a', parameters: {} }, { name: 'b', parameters: {} }] }), '5m').tools.map((t) => t.cache)).to.deep.equal([undefined, {}]);
  });

  it('leaves a call alone whose last block has its own breakpoint, or that holds the four the API takes', () => {
    const own = call({ messages: [user('a', { ttl: '1h' })] });
    expect(enrollInCache(own, '5m')).to.equal(own);
    const full = call({ system: [{ type: 'text', text: 's', cache: {} }], messages: [user('a', {}), user('b', {}), user('c', {}), user('d')] });
    expect(enrollInCache(full, '5m')).to.equal(full);
    const nothing = call({});
    expect(enrollInCache(nothing, '5m')).to.equal(nothing);
  });

  it('a one-hour breakpoint never follows a shorter one: after a client\'s 5-minute mark it is 5 minutes too', () => {
    const after5m = enrollInCache(call({ system: [{ type: 'text', text: 's', cache: {} }], messages: [user('a')] }), '1h');
    expect(marksOf(after5m)).to.deep.equal([{}, {}]);
    const after1h = enrollInCache(call({ system: [{ type: 'text', text: 's', cache: { ttl: '1h' } }], messages: [user('a')] }), '1h');
    expect(marksOf(after1h)).to.deep.equal([{ ttl: '1h' }, { ttl: '1h' }]);
  });

  describe('on the wire: anthropic', () => {
    const up = useEmulatedBackend(startAnthropicEmulator, (url) => `  - { id: a, kind: anthropic, base_url: "${url}", api_key: k-0123456789, cache_enrollment: automatic, cache_ttl: 1h }`, 'a');
    it('sends the breakpoint as cache_control on the last block (streamed and whole)', async () => {
      for (const whole of [false, true]) {
        up.emulator().reset();
        const c = call({ stream: !whole, system: [{ type: 'text', text: 'You are terse.' }], messages: [user('first'), { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] }, user('second')] });
        const { error } = await drain(up.backend().stream(c, { model: 'm', candidateKey: 'a:m', whole }));
        expect(error).to.equal(undefined);
        const body = up.emulator().requests[0]!.body as { system: unknown; messages: { content: unknown }[] };
        expect(body.messages.at(-1)!.content).to.deep.equal([{ type: 'text', text: 'second', cache_control: { type: 'ephemeral', ttl: '1h' } }]);
        expect(JSON.stringify(body.system)).to.not.contain('cache_control');
        expect(body).to.not.have.property('cache_control');
      }
    });
  });

  describe('on the wire: bedrock (a cachePoint after the block, for the models that cache)', () => {
    const up = useEmulatedBackend(startBedrockEmulator, (url) => bedrockRow('br', new URL(url), 'cache_enrollment: automatic'), 'br');
    const send = async (model: string) => {
      up.emulator().reset();
      const c = call({ stream: true, messages: [user('first'), { role: 'assistant', parts: [{ type: 'text', text: 'ok' }] }, user('second')] });
      const { error } = await drain(up.backend().stream(c, { model, candidateKey: `br:${model}` }));
      expect(error).to.equal(undefined);
      return (up.emulator().requests[0]!.body as { messages: { content: unknown[] }[] }).messages.at(-1)!.content;
    };
    it('adds one for a Claude model, none for a model that does not cache', async () => {
      expect(await send('anthropic.claude-sonnet-4-20250514-v1:0')).to.deep.equal([{ text: 'second' }, { cachePoint: { type: 'default' } }]);
      expect(await send('meta.llama3-70b-instruct-v1:0')).to.deep.equal([{ text: 'second' }]);
    });
  });

  it('is a row key of the anthropic kind and its presets; cache_ttl needs automatic enrollment', () => {
    const problems = (row: string) => {
      try {
        configFrom(`backends:\n  - { id: a, ${row} }\n`);
        return [];
      } catch (err) {
        if (err instanceof ConfigError) return err.issues.map(formatIssue);
        throw err;
      }
    };
    expect(problems('kind: anthropic, cache_enrollment: automatic')).to.deep.equal([]);
    expect(problems('kind: custom-anthropic, base_url: "http://127.0.0.1:9", cache_enrollment: automatic, cache_ttl: 5m')).to.deep.equal([]);
    expect(problems('kind: anthropic, cache_ttl: 1h')[0]).to.match(/test\.yaml:2:\d+: backends\[0\]\.cache_ttl: applies only with cache_enrollment: automatic/);
    expect(problems('kind: anthropic, cache_enrollment: always')[0]).to.match(/cache_enrollment/);
    expect(problems('kind: anthropic, cache_enrollment: automatic, cache_ttl: 2h')[0]).to.match(/cache_ttl/);
    expect(problems('kind: bedrock, cache_enrollment: automatic')).to.deep.equal([]);
    expect(problems('kind: bedrock, cache_enrollment: automatic, cache_ttl: 1h')[0]).to.match(/cache_ttl/);
  });
});
