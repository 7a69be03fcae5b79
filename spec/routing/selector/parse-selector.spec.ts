import { expect } from 'chai';
import type { Arm, Leaf, RaceArm, SingleArm, WeightedArm } from '../../../lib/routing/selector/ast.js';
import { MAX_SELECTOR_CHARS, parseSelector } from '../../../lib/routing/selector/parse-selector.js';
import { SelectorError } from '../../../lib/routing/selector/selector-error.js';
import { LipError } from '../../../lib/errors/index.js';

const single = (arm: Arm | undefined) => { expect(arm?.type).to.equal('single'); return (arm as SingleArm).leg; };
const weighted = (arm: Arm | undefined) => { expect(arm?.type).to.equal('weighted'); return (arm as WeightedArm).branches; };
const race = (arm: Arm | undefined) => { expect(arm?.type).to.equal('race'); return (arm as RaceArm).legs; };
const path = (leaf: Leaf) => `${leaf.backend ?? '(default)'}:${leaf.model}`;

/** The error a selector is rejected with. */
function rejection(text: string): SelectorError {
  try {
    parseSelector(text);
  } catch (err) {
    expect(err).to.be.instanceOf(SelectorError);
    return err as SelectorError;
  }
  throw new Error(`accepted: ${text}`);
}

describe('routing/selector/parseSelector', () => {
  describe('leaves', () => {
    it('splits backend and model at the first colon; models keep later colons and slashes', () => {
      expect(single(parseSelector('openai-responses:gpt-4o-mini').arms[0])).to.include({ backend: 'openai-responses', model: 'gpt-4o-mini', column: 1 });
      expect(single(parseSelector('openai.azure:gpt-4o').arms[0])).to.include({ backend: 'openai.azure', model: 'gpt-4o' });
      expect(single(parseSelector('ollama-cloud:google/gemma3:4b').arms[0])).to.include({ backend: 'ollama-cloud', model: 'google/gemma3:4b' });
      expect(single(parseSelector('hf:meta-llama/Llama-3.1-8B-Instruct@v2,x=y').arms[0]).model).to.equal('meta-llama/Llama-3.1-8B-Instruct@v2,x=y');
    });

    it('reads model-only leaves, and ":model" for a model-only leaf whose model has colons', () => {
      const leaf = single(parseSelector('gpt-4o-mini').arms[0]);
      expect(leaf.backend).to.equal(undefined);
      expect(leaf.model).to.equal('gpt-4o-mini');
      const colons = single(parseSelector(':qwen3:8b').arms[0]);
      expect([colons.backend, colons.model]).to.deep.equal([undefined, 'qwen3:8b']);
    });

    it('reads the query: decoded pairs, validated overrides, the raw text and the canonical form', () => {
      const leaf = single(parseSelector('openai.azure:gpt-4o?temperature=0.2&note=a+b%21').arms[0]);
      expect(leaf.params).to.deep.equal({ temperature: 0.2 });
      expect(leaf.query).to.deep.equal({ temperature: '0.2', note: 'a b!' });
      expect(leaf.rawQuery).to.equal('temperature=0.2&note=a+b%21');
      expect(leaf.canonicalQuery).to.equal('note=a+b%21&temperature=0.2');
      expect(single(parseSelector('a:m').arms[0])).to.include({ rawQuery: '', canonicalQuery: '' });
    });

    it('keeps percent-encoded operators inside query values (each leg its own query)', () => {
      const legs = race(parseSelector('a:m?note=hello%21world!b:m?note=x%7Cy').arms[0]);
      expect(legs.map((l) => l.leaf.query)).to.deep.equal([{ note: 'hello!world' }, { note: 'x|y' }]);
    });

    it('ignores whitespace around tokens and records each leaf column', () => {
      const s = parseSelector('  [weight=2] a:m1 ^ b:m2 |  c:m3  ');
      expect(weighted(s.arms[0]).map((b) => [path(b.leaf), b.leaf.column])).to.deep.equal([['a:m1', 14], ['b:m2', 21]]);
      expect(single(s.arms[1]).column).to.equal(29);
    });
  });

  describe('operators', () => {
    it('| is ordered failover; arms may be races (not flattened)', () => {
      const s = parseSelector('a:m1 | b:m2 | anthropic:opus');
      expect(s.arms.map((a) => path(single(a)))).to.deep.equal(['a:m1', 'b:m2', 'anthropic:opus']);
      const races = parseSelector('a:m1!b:m2 | c:m3!d:m4');
      expect(races.arms.map((a) => race(a).map((l) => path(l.leaf)))).to.deep.equal([['a:m1', 'b:m2'], ['c:m3', 'd:m4']]);
    });

    it('^ is a weighted choice; weight defaults to 1; [first] marks one branch', () => {
      expect(weighted(parseSelector('[weight=3]openai:gpt-4^[weight=1]anthropic:opus').arms[0]).map((b) => [path(b.leaf), b.weight, b.first]))
        .to.deep.equal([['openai:gpt-4', 3, false], ['anthropic:opus', 1, false]]);
      expect(weighted(parseSelector('[first]cheap:fast^[weight=100]expensive:m').arms[0]).map((b) => [b.weight, b.first]))
        .to.deep.equal([[1, true], [100, false]]);
      expect(weighted(parseSelector('a:m^b:m').arms[0]).map((b) => b.weight)).to.deep.equal([1, 1]);
    });

    it('a lone branch with [weight] or [first] is a one-branch weighted arm', () => {
      const s = parseSelector('[first]codex:gpt-5?reasoning_effort=high^[weight=4]codex:gpt-5?reasoning_effort=low | [weight=2]codex:gpt-5?reasoning_effort=medium');
      expect(weighted(s.arms[0]).map((b) => [b.weight, b.first, b.leaf.params.reasoningEffort])).to.deep.equal([[1, true, 'high'], [4, false, 'low']]);
      expect(weighted(s.arms[1]).map((b) => [b.weight, b.leaf.params.reasoningEffort])).to.deep.equal([[2, 'medium']]);
      expect(weighted(parseSelector('[first]a:m').arms[0])[0]!.first).to.equal(true);
    });

    it('! is a race; a handicap is that leg\'s start delay (bare integers are seconds)', () => {
      expect(race(parseSelector('nvidia:kimi-k2!nvidia:minimax-m3').arms[0]).map((l) => [path(l.leaf), l.handicapMs]))
        .to.deep.equal([['nvidia:kimi-k2', 0], ['nvidia:minimax-m3', 0]]);
      expect(race(parseSelector('[handicap=10]a:m1![handicap=5]b:m2!c:m3').arms[0]).map((l) => l.handicapMs)).to.deep.equal([10_000, 5_000, 0]);
      expect(race(parseSelector('[handicap=250ms]a:m![handicap=2s]b:m![handicap=1m]c:m').arms[0]).map((l) => l.handicapMs)).to.deep.equal([250, 2_000, 60_000]);
    });

    it('accepts exactly 16 race legs', () => {
      const text = Array.from({ length: 16 }, (_, i) => `b${i}:m`).join('!');
      expect(race(parseSelector(text).arms[0])).to.have.length(16);
    });
  });

  describe('annotations and the global block', () => {
    it('reads leaf budgets and context bounds (K and M suffixes), chained blocks, any case', () => {
      const legs = race(parseSelector('[handicap=10,ttft_timeout=10]a:m1![ttft_timeout=5]b:m2!c:m3').arms[0]);
      expect(legs.map((l) => [l.handicapMs, l.leaf.ttftTimeoutMs])).to.deep.equal([[10_000, 10_000], [0, 5_000], [0, undefined]]);
      const s = parseSelector('[min_context=200K]big:m | [max_context=200k][TTFT_Timeout=1500ms]small:m | [ max_context = 1M ]huge:m');
      expect(single(s.arms[0]).minContext).to.equal(200_000);
      expect(single(s.arms[1])).to.include({ maxContext: 200_000, ttftTimeoutMs: 1_500 });
      expect(single(s.arms[2]).maxContext).to.equal(1_000_000);
    });

    it('reads {ttft_timeout} and {affinity}', () => {
      const s = parseSelector('{ttft_timeout=60}[ttft_timeout=30]openai:gpt-5^[weight=2,ttft_timeout=20]gemini:g3');
      expect(s.global).to.deep.equal({ ttftTimeoutMs: 60_000 });
      expect(weighted(s.arms[0]).map((b) => [b.weight, b.leaf.ttftTimeoutMs])).to.deep.equal([[1, 30_000], [2, 20_000]]);
      expect(parseSelector('{affinity=session}[weight=1]openai-a:gpt-4o-mini^[weight=1]openai-b:gpt-4o-mini').global).to.deep.equal({ affinity: 'session' });
      expect(parseSelector(' { affinity = Client , ttft_timeout = 2500ms } a:m').global).to.deep.equal({ affinity: 'client', ttftTimeoutMs: 2_500 });
      expect(parseSelector('a:m').global).to.deep.equal({});
    });

    it('keeps the parsed text', () => {
      expect(parseSelector(' a:m ').text).to.equal(' a:m ');
    });
  });

  describe('rejections (each with its column and reason)', () => {
    const cases: ReadonlyArray<readonly [string, number, RegExp]> = [
      // empty parts
      ['', 1, /^empty selector$/],
      ['   ', 1, /^empty selector$/],
      ['a:m|', 4, /empty failover arm after the last "\|"/],
      ['a:m||b:m', 5, /empty failover arm between "\|" and "\|"/],
      ['|a:m', 1, /empty failover arm before the first "\|"/],
      ['a:b!!c:d', 5, /empty race leg/],
      ['a:b!', 4, /empty race leg after the last "!"/],
      ['a:b^^c:d', 5, /empty weighted branch/],
      ['[weight=2]', 11, /missing leaf after the annotations/],
      ['[weight=2]|a:m', 11, /missing leaf after the annotations/],
      ['{ttft_timeout=1}', 17, /missing route after the global block/],
      // operators
      ['a:m^b:m!c:m', 8, /cannot mix "!" \(race\) and "\^" \(weighted choice\)/],
      ['a:m!b:m^c:m', 8, /cannot mix/],
      [Array.from({ length: 17 }, (_, i) => `b${i}:m`).join('!'), 1 + 10 * 5 + 6 * 6, /at most 16 legs/],
      [Array.from({ length: 65 }, (_, i) => `b${i}:m`).join('|'), 1 + 10 * 5 + 54 * 6, /a selector has at most 64 failover arms; this is arm 65/],
      [Array.from({ length: 65 }, (_, i) => `b${i}:m`).join('^'), 1 + 10 * 5 + 54 * 6, /a weighted choice has at most 64 branches; this is branch 65/],
      ['[weight=2]a:m!b:m', 2, /weight belongs to weighted branches/],
      ['a:m![first]b:m', 6, /first belongs to weighted branches/],
      ['[handicap=1]a:b', 2, /handicap applies only to race legs/],
      ['a:m^[handicap=1s]b:m', 6, /handicap applies only to race legs/],
      ['[first]a:b^[first]c:d', 13, /only one branch of a weighted arm may be \[first\]/],
      // annotation syntax
      ['[weight=2', 1, /unclosed annotation block: missing "\]"/],
      ['[weight=2 a:m|b:m', 1, /unclosed annotation block/],
      ['[]a:m', 1, /^empty annotation block$/],
      ['[ ]a:m', 1, /^empty annotation block$/],
      ['[weight=2,]a:m', 11, /empty entry in annotation block/],
      ['[,weight=2]a:m', 2, /empty entry in annotation block/],
      ['[weight=2][weight=3]a:m', 12, /duplicate annotation "weight"/],
      ['[ttft_timeout=1,TTFT_TIMEOUT=2]a:m', 17, /duplicate annotation "ttft_timeout"/],
      ['[wieght=2]a:m', 2, /unknown annotation "wieght" \(did you mean "weight"\?\)/],
      ['[max-context=8K]a:m', 2, /unknown annotation "max-context" \(did you mean "max_context"\?\)/],
      ['{TTFT-timeout=8}a:m', 2, /unknown global option "TTFT-timeout" \(did you mean "ttft_timeout"\?\)/],
      ['[thinker]t:m^e:m', 2, /"thinker" is not a leaf annotation/],
      ['[session_sticky]a:m', 2, /write \{affinity=session\}/],
      ['[affinity=session]a:m', 2, /affinity is a global option/],
      ['[temperature=1]a:m', 2, /generation override: write it as the leaf's query/],
      ['[weight 2]a:m', 9, /expected "=", "," or the end of the annotation block/],
      ['[=2]a:m', 2, /expected a key/],
      // values
      ['[handicap=0]a:b!c:d', 11, /handicap must be positive/],
      ['[handicap=-1]a:b!c:d', 11, /handicap must be a duration such as 250ms, 2s or 2 \(seconds\), got "-1"/],
      ['[handicap=abc]a:b!c:d', 11, /must be a duration/],
      ['[handicap]a:b!c:d', 10, /handicap needs a value/],
      ['[handicap=]a:b!c:d', 11, /handicap needs a value/],
      ['[ttft_timeout=1.5s]a:m', 15, /use a whole number/],
      ['[ttft_timeout=99999999]a:m', 15, /ttft_timeout is too large/],
      ['[ttft_timeout=5h]a:m', 15, /must be a duration/],
      ['[weight=0]a:m^b:m', 9, /weight must be positive/],
      ['[weight=1.5]a:m^b:m', 9, /weight must be a positive integer, got "1.5"/],
      ['[weight=1000001]a:m^b:m', 9, /weight is too large/],
      ['[first=yes]a:m^b:m', 8, /first takes no value/],
      ['[max_context=12G]a:m', 14, /max_context must be a token count such as 8192, 200K or 1M, got "12G"/],
      ['[max_context=K]a:m', 14, /must be a token count/],
      ['[max_context=1.5M]a:m', 14, /must be a token count/],
      ['[min_context=0]a:m', 14, /min_context must be positive/],
      ['[max_context=2000M]a:m', 14, /too large/],
      ['[min_context=10,max_context=10]a:b', 17, /min_context \(10\) must be below max_context \(10\)/],
      ['[max_context=8K][min_context=9K]a:b', 18, /min_context \(9000\) must be below max_context \(8000\)/],
      // global block
      ['{}a:b', 1, /^empty global block$/],
      ['{ttft_timeout=2', 1, /unclosed global block: missing "\}"/],
      ['{ttft_timeout=2 a:m', 1, /unclosed global block/],
      ['{ttft_timeout=0}a:b', 15, /ttft_timeout must be positive/],
      ['{ttft_timeout=1,ttft_timeout=2}a:b', 17, /duplicate global option "ttft_timeout"/],
      ['{affinity=tenant}a:m', 11, /affinity must be session or client, got "tenant"/],
      ['{affinity}a:m', 10, /affinity needs a value/],
      ['{client_sticky}a:m|b:m', 2, /write \{affinity=client\}/],
      ['{weight=2}a:m', 2, /weight annotates one branch/],
      ['{ttft_timout=2}a:m', 2, /unknown global option "ttft_timout" \(did you mean "ttft_timeout"\?\)/],
      ['{ttft_timeout=1,}a:m', 17, /empty entry in global block/],
      ['{ttft_timeout=1}{affinity=client}a:m', 17, /only one global block is allowed/],
      ['a:b{ttft_timeout=1}', 4, /the global block \{\.\.\.\} must stand at the very start/],
      ['a:b|{ttft_timeout=1}c:d', 5, /must stand at the very start/],
      // leaves
      ['openai:', 8, /missing model after "openai:"/],
      ['[weight=1]a:^b:m', 13, /missing model after "a:"/],
      ['a:m|:', 6, /missing model after ":"/],
      ['b:m[handicap=200]', 4, /annotations go before the leaf/],
      ['a:m]', 4, /unexpected "\]"/],
      ['a:m b:m', 5, /unexpected "b" after the leaf "a:m" \(a missing "\|", "\^" or "!"\?\)/],
      ['a:gpt 4o', 7, /after the leaf "a:gpt"/],
      ['a:m\u0000x', 4, /^unexpected control character U\+0000$/],
      ['a:m?x=1\u0007', 8, /^unexpected control character U\+0007$/],
      ['[\u0001]a:m', 2, /^expected a key in annotation block, found control character U\+0001$/],
      ['google/gemma3:4b', 1, /"google\/gemma3" is not a backend id.*start it with ":"/],
      ['a b:m', 3, /after the leaf "a"/],
      [Array.from({ length: 65 }, (_, i) => `b${i}:m`).join(' | '), 1 + 10 * 4 + 54 * 5 + 64 * 3, /a selector has at most 64 failover arms; this is arm 65/],
      // queries
      ['openai:gpt-4?x=%zz', 16, /bad percent escape "%zz"/],
      ['a:m?x=%4', 7, /bad percent escape "%4"/],
      ['a:m?x=%ff', 7, /does not decode to valid UTF-8/],
      ['a:m?', 4, /empty query after "\?"/],
      ['a:m?x=1&&y=2', 9, /empty query parameter/],
      ['a:m?x=1&', 9, /empty query parameter/],
      ['a:m?=1', 5, /query parameter without a name/],
      ['a:m?x=1;y=2', 8, /use "&" between query parameters/],
      ['a:m?x=1&x=2', 9, /duplicate query parameter "x"/],
      ['a:m?top_p=0.5&topP=0.4', 15, /"topP" repeats "top_p"/],
      ['a:m?temperature=3', 17, /temperature must be a number from 0 to 2, got "3"/],
      ['a:m?x=[1]', 7, /annotations go before the leaf/],
      ['a:m!b:m?temperature=hot', 21, /temperature must be a number/],
    ];

    for (const [text, column, reason] of cases) {
      it(`${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)} at column ${column}`, () => {
        const err = rejection(text);
        expect(err.reason).to.match(reason);
        expect(err.column).to.equal(column);
      });
    }

    it('is a LipError with code LIP_ERR_ROUTE_INVALID_SELECTOR, status 400, the column in the message', () => {
      const err = rejection('a:b!!c:d');
      expect(err).to.be.instanceOf(LipError);
      expect([err.code, err.status, err.retryable]).to.deep.equal(['LIP_ERR_ROUTE_INVALID_SELECTOR', 400, false]);
      expect(err.message).to.equal('invalid route selector at column 5: empty race leg between "!" and "!"');
      expect(err.selector).to.equal('a:b!!c:d');
    });

    it('counts columns in code points', () => {
      expect(rejection('a:\u{1F600}\u{1F600} x').column).to.equal(6);
    });

    it('rejects selectors over the length limit', () => {
      expect(rejection(`a:${'m'.repeat(MAX_SELECTOR_CHARS)}`).reason).to.match(/longer than 65536 characters/);
    });

    it('keeps reasons short when they quote long text', () => {
      const err = rejection(`a:m?temperature=${'9'.repeat(5_000)}`);
      expect(err.reason).to.have.length(300);
      expect(err.reason).to.match(/^temperature must be a number from 0 to 2, got "9+\.\.\.$/);
    });

    it('rejects a lone surrogate but accepts pairs', () => {
      expect(rejection('a:m\ud800').reason).to.match(/lone surrogate/);
      expect(single(parseSelector('a:\u{1F600}').arms[0]).model).to.equal('\u{1F600}');
    });
  });
});

describe('routing/selector/parseSelector (robustness)', () => {
  /** mulberry32: a seeded generator, so a failure reproduces. */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  it('accepts 64 failover arms, 64 weighted branches and 16 race legs (the bounds on what one selector allocates)', () => {
    const leaves = (n: number, op: string) => Array.from({ length: n }, (_, i) => `b${i}:m`).join(op);
    expect(parseSelector(leaves(64, '|')).arms).to.have.length(64);
    expect((parseSelector(leaves(64, '^')).arms[0] as unknown as { branches: unknown[] }).branches).to.have.length(64);
    expect((parseSelector(leaves(16, '!')).arms[0] as unknown as { legs: unknown[] }).legs).to.have.length(16);
    expect(parseSelector(Array.from({ length: 64 }, () => leaves(16, '!')).join('|')).arms).to.have.length(64);
  });

  it('never throws anything but a SelectorError, whose column lies inside the text or just after it', () => {
    const random = rng(42);
    const alphabet = ['a', 'b:', 'm', ':', '|', '^', '!', '[', ']', '{', '}', '=', ',', '?', '&', '%', '%2', '%21', ' ', 'weight=2', 'first', 'handicap=1', 'ttft_timeout=2s',
      'max_context=1K', 'min_context=2K', 'affinity=client', 'temperature=0.5', 'x=y', '.', '/', '0', '\t', '+', ';', 'é', '\u{1F600}'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(random() * 14);
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      try {
        const s = parseSelector(text);
        expect(s.arms.length).to.be.greaterThan(0);
        accepted++;
      } catch (err) {
        if (!(err instanceof SelectorError)) throw new Error(`${JSON.stringify(text)} threw ${String(err)}`);
        expect(err.column, JSON.stringify(text)).to.be.within(1, [...text].length + 1);
      }
    }
    expect(accepted).to.be.greaterThan(500);
  });

  it('stays linear on hostile input (64 KiB of brackets, operators, arms, query pairs)', () => {
    const n = MAX_SELECTOR_CHARS;
    const inputs = ['['.repeat(n), `[${'a,'.repeat(n / 2 - 1)}`, '{'.repeat(n), 'a|'.repeat(n / 2 - 1) + 'a', `a:m?${'x&'.repeat(n / 2 - 3)}`, `a:m?${'k=v&'.repeat(n / 4 - 2)}`, 'a'.repeat(n), ':'.repeat(n)];
    const started = process.hrtime.bigint();
    for (const text of inputs) {
      try {
        parseSelector(text);
      } catch (err) {
        expect(err).to.be.instanceOf(SelectorError);
      }
    }
    // Generous on purpose (2 shared cores): quadratic work on 64 KiB inputs takes minutes, not seconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.lessThan(10_000);
  });
});
