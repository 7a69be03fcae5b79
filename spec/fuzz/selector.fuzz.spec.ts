import { expect } from 'chai';
import fc from 'fast-check';
import { CompiledSelectors } from '../../lib/core/compiled-selectors.js';
import { compileAliases, explainSelector, MAX_SELECTOR_CHARS, parseSelector, renderExplanation, SelectorError } from '../../lib/routing/selector/index.js';
import { expectLipError } from './expect-lip-error.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { FuzzText, hostileText } from './json-mutations.js';

/** Valid selectors covering every construct (from the selector specs and the docs). */
const VALID = [
  'a:m', 'm', ':qwen3:8b', 'a:m|b:m', 'a:m^b:m', 'a:m!b:m|c:m', 'a:\u{1F600}', 'ollama-cloud:google/gemma3:4b',
  '  [weight=2] a:m1 ^ b:m2 |  c:m3  ', ' { affinity = Client , ttft_timeout = 2500ms } a:m',
  '[handicap=10,ttft_timeout=10]a:m1![ttft_timeout=5]b:m2!c:m3', '[handicap=250ms]a:m![handicap=2s]b:m![handicap=1m]c:m',
  '[min_context=200K]big:m | [max_context=200k][TTFT_Timeout=1500ms]small:m | [ max_context = 1M ]huge:m',
  '[first]codex:gpt-5?reasoning_effort=high^[weight=4]codex:gpt-5?reasoning_effort=low | [weight=2]codex:gpt-5?reasoning_effort=medium',
  'a:m?note=hello%21world!b:m?note=x%7Cy', 'openai.azure:gpt-4o?temperature=0.2&note=a+b%21', 'hf:meta-llama/Llama-3.1-8B-Instruct@v2,x=y',
  '{affinity=client}gpt-4o-mini?temperature=0.5 | [weight=2]x:m^m2 | [handicap=1s]m3!y:m | :qwen3:8b',
  '{ttft_timeout=60}[ttft_timeout=30]openai:gpt-5^[weight=2,ttft_timeout=20]gemini:g3',
];

/** Pieces of the grammar, so that mutations make near-valid selectors rather than noise. */
const TOKENS = ['|', '^', '!', '[', ']', '{', '}', '=', ',', '?', '&', ':', ' ', '%', '%2', '%zz', 'weight=', 'weight=-1', 'weight=1e999', 'handicap=',
  'ttft_timeout=', 'ttft_timeout=99999999999999999999d', 'max_context=', 'min_context=1T', 'first', 'affinity=', '0', '1.5', 'NaN', 'a:m', '!a:m'];

type Edit = { readonly at: number; readonly remove: number; readonly insert: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(), remove: fc.integer({ min: 0, max: 4 }),
  insert: fc.oneof(fc.constantFrom(...TOKENS), hostileText, fc.constantFrom(...TOKENS).chain((t) => fc.integer({ min: 2, max: 40 }).map((n) => t.repeat(n)))),
});

function mutate(text: string, edits: readonly Edit[]): string {
  return edits.reduce((s, e) => {
    const at = e.at % (s.length + 1);
    return s.slice(0, at) + e.insert + s.slice(at + e.remove);
  }, text);
}

const selectors: fc.Arbitrary<FuzzText> = fc.oneof(
  fc.tuple(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 5 })).map(([s, edits]) => new FuzzText(mutate(s, edits))),
  fc.string({ maxLength: 80 }).map((s) => new FuzzText(s)),
  fc.string({ unit: fc.constantFrom(...TOKENS, 'a', 'b', 'm'), maxLength: 60 }).map((s) => new FuzzText(s)),
  fc.tuple(fc.constantFrom(...VALID), fc.integer({ min: 1, max: 40 }), fc.constantFrom('|', '!', '^')).map(([s, n, op]) => new FuzzText(Array(n).fill(s.replace(/[{][^}]*[}]/, '')).join(op))),
  fc.tuple(fc.constantFrom('a:', '[weight=1]a:', 'a:m|', ''), fc.integer({ min: MAX_SELECTOR_CHARS - 8, max: MAX_SELECTOR_CHARS + 8 }), fc.constantFrom('x', '😀', '[', '|'))
    .map(([p, n, u]) => new FuzzText(p + u.repeat(Math.ceil(n / u.length)))),
);

/** Column of an error: inside the text (in code points) or one past its end. */
function expectColumn(err: SelectorError, text: string): void {
  expect(err.column).to.be.within(1, [...text].length + 1);
  expect(err.message.length).to.be.below(400);
}

describe('fuzz: selector parser (lib/routing/selector)', function () {
  this.timeout(fuzzTimeout());

  it('parses every seed selector', () => {
    for (const s of VALID) expect(() => parseSelector(s), s).to.not.throw();
  });

  it('answers random and mutated selectors with an AST or a SelectorError naming a column inside the text', () => {
    fc.assert(fc.property(selectors, ({ text }) => {
      try {
        const selector = parseSelector(text);
        expect(selector.arms.length).to.be.greaterThan(0);
        expect(selector.text).to.equal(text);
      } catch (err) {
        expectLipError(err, { codes: ['LIP_ERR_ROUTE_INVALID_SELECTOR'] });
        expect(err).to.be.instanceOf(SelectorError);
        expectColumn(err as SelectorError, text);
      }
    }), fuzzParameters(0.5));
  });

  it('compiles them as the server does (length bound, model-only resolution, backend check) into a plan or a LipError', () => {
    const compiled = new CompiledSelectors('a', new Set(['a', 'b', 'c', 'x', 'y', 'openai']), new Set(['a', 'b', 'c', 'x', 'y', 'openai', 'off']), 16);
    fc.assert(fc.property(selectors, ({ text }) => {
      try {
        const plan = compiled.get(text);
        expect(plan.selector.arms.length).to.be.greaterThan(0);
      } catch (err) {
        expectLipError(err, { codes: ['LIP_ERR_ROUTE_INVALID_SELECTOR', 'LIP_ERR_ROUTE_UNKNOWN_BACKEND', 'LIP_ERR_REQUEST_LIMIT_EXCEEDED'] });
      }
    }), fuzzParameters(0.5));
  });

  it('explains them (lip routes explain) without throwing, through model aliases', () => {
    const aliases = compileAliases([{ pattern: '^fast$', replacement: 'a:m!b:m' }, { pattern: '^(\\w+)-x$', replacement: 'c:${1}' }]);
    fc.assert(fc.property(selectors, ({ text }) => {
      const explanation = explainSelector(text, { aliases, defaultBackend: 'a' });
      expect(renderExplanation(explanation)).to.be.a('string');
    }), fuzzParameters(0.5));
  });
});
