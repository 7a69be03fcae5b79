import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecord } from '../../lib/replay/record-format.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { configFrom } from '../helpers/config.js';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { applyMutation, deeplyNestedJsonText, mutatedJsonText, mutation, type Json } from './json-mutations.js';

const LINES = readFileSync(join(CORPUS_DIR, 'corpus.jsonl'), 'utf8').trim().split('\n');
const SEEDS = LINES.map((line) => JSON.parse(line) as Json);
const CONFIG = configFrom(readFileSync(join(CORPUS_DIR, 'lip.yaml'), 'utf8'));
const STATES = ['same', 'route-changed', 'output-changed', 'error', 'unrecorded'];
/** What a JavaScript mistake says (a replay `error` must name the record's problem, not hide a bug). */
const ENGINE_ERROR = /Cannot read prop|is not a function|is not iterable|is not defined|Maximum call stack|Cannot convert|Invalid array length/;

/**
 * A recording line as `lip replay` takes it: `parseRecord` says why it is not a record, or the
 * replay of the record resolves to one of the report's states. Nothing throws, and an `error`
 * is the record's own problem (an unknown frontend, a path no route serves), never a TypeError.
 */
async function replayLine(text: string): Promise<void> {
  const parsed = parseRecord(text);
  if (typeof parsed === 'string') {
    expect(parsed).to.be.a('string').and.not.equal('');
    return;
  }
  const result = await replayExchange(parsed, CONFIG);
  expect(STATES).to.include(result.state);
  if (result.state === 'error') expect(result.error ?? '').to.not.match(ENGINE_ERROR);
}

/**
 * The same record with its values moved around but each of the same type: events dropped,
 * repeated or reversed, strings and numbers swapped for others of the record. Such a record
 * passes `parseRecord`, so these reach the replay itself (routing, virtual time, comparison).
 */
function shuffled(seed: Json): fc.Arbitrary<Json> {
  return fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 3 })), { minLength: 1, maxLength: 5 }).map((edits) => {
    const doc = structuredClone(seed);
    const strings: string[] = [];
    const numbers: number[] = [];
    collect(doc, strings, numbers);
    for (const [pick, other, op] of edits) {
      const slots = containers(doc);
      const [parent, key] = slots[pick % slots.length]!;
      const value = (parent as Record<string | number, Json>)[key];
      if (typeof value === 'string') (parent as Record<string | number, Json>)[key] = strings[other % strings.length]!;
      else if (typeof value === 'number') (parent as Record<string | number, Json>)[key] = numbers[other % numbers.length]!;
      else if (Array.isArray(value) && value.length > 0) {
        if (op === 0) value.splice(other % value.length, 1);
        else if (op === 1) value.push(structuredClone(value[other % value.length]!));
        else if (op === 2) value.reverse();
        else value.length = 0;
      }
    }
    return doc;
  });
}

function collect(value: Json, strings: string[], numbers: number[]): void {
  if (typeof value === 'string') strings.push(value);
  else if (typeof value === 'number') numbers.push(value);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collect(v, strings, numbers);
}

/** Every value below the root with its parent and key. */
function containers(root: Json): [Json, string | number][] {
  const out: [Json, string | number][] = [];
  const walk = (value: Json) => {
    if (value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      out.push([value, Array.isArray(value) ? Number(k) : k]);
      walk(v);
    }
  };
  walk(root);
  return out;
}

describe('fuzz: recording lines through lip replay (parse, then replay on virtual time)', function () {
  this.timeout(fuzzTimeout(60));

  it('replays every corpus line as it is', async () => {
    for (const line of LINES) {
      const record = parseRecord(line);
      expect(record, line.slice(0, 120)).to.be.an('object');
      expect((await replayExchange(record as Exclude<typeof record, string>, CONFIG)).state).to.equal('same');
    }
  });

  it('answers mutated lines (values replaced, deleted, inserted, hostile text) with a reason or a report state', async () => {
    await fc.assert(fc.asyncProperty(mutatedJsonText(SEEDS), (doc) => replayLine(doc.text)), fuzzParameters(0.5));
  });

  it('answers lines with nesting far past any stack with a reason or a report state', async () => {
    await fc.assert(fc.asyncProperty(deeplyNestedJsonText(SEEDS), (doc) => replayLine(doc.text)), fuzzParameters(0.1));
  });

  it('replays records whose values are moved around but keep their types', async () => {
    const records = fc.constantFrom(...SEEDS).chain(shuffled);
    await fc.assert(fc.asyncProperty(records, fc.array(mutation(), { maxLength: 1 }), (doc, extra) => replayLine(JSON.stringify(extra.reduce(applyMutation, doc)))), fuzzParameters(0.5));
  });

  it('answers arbitrary JSON values and cut lines with a reason', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      const parsed = parseRecord(JSON.stringify(value) ?? 'null');
      expect(parsed).to.be.a('string');
    }), fuzzParameters());
    fc.assert(fc.property(fc.constantFrom(...LINES), fc.nat(), (line, cut) => {
      const at = cut % line.length;
      expect(parseRecord(line.slice(0, at))).to.be.a('string');
    }), fuzzParameters());
  });
});
