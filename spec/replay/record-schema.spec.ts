import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRecord, type ExchangeRecord } from '../../lib/replay/record-format.js';
import { RECORD_SCHEMA, RECORD_VALIDATORS } from '../../lib/replay/record-schema.js';
import { SchemaValidators, schemaDigest, writePrecompiledValidators } from '../../lib/wire/index.js';

const line = readFileSync(new URL('../../testdata/replay/corpus.jsonl', import.meta.url), 'utf8').split('\n')[0]!;

/** The corpus's first record with `events` in place of its client's events. */
function withClientEvents(events: unknown[]): string {
  const record = JSON.parse(line) as { client: { events: unknown[] } };
  record.client.events = events.map((e, i) => [i, e]);
  return JSON.stringify(record);
}

/**
 * Hosted tool events in a recording: the schema checks their fields like every event's, so a
 * replay never meets a phase or a block of the wrong type.
 */
describe('replay/record schema: hosted tool events', () => {
  const block = { type: 'code_interpreter_call', id: 'ci_1', status: 'completed' };

  it('takes every phase, a block, an update and the message scope', () => {
    const parsed = parseRecord(withClientEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase: 'added', block },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase: 'progress', update: { type: 'response.code_interpreter_call.interpreting' } },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase: 'done', block },
      { type: 'hosted_tool', id: 'container', dialect: 'd', phase: 'done', block: { id: 'cntr_1' }, scope: 'message' },
      { type: 'response_finished', reason: 'stop' },
    ]));
    expect(parsed, String(parsed)).to.be.an('object');
    expect((parsed as ExchangeRecord).client.events[2]![1]).to.deep.include({ type: 'hosted_tool', phase: 'added' });
  });

  for (const [what, event] of [
    ['an unknown phase', { type: 'hosted_tool', id: 'x', dialect: 'd', phase: 'started', block }],
    ['a block that is not an object', { type: 'hosted_tool', id: 'x', dialect: 'd', phase: 'done', block: 'text' }],
    ['no dialect', { type: 'hosted_tool', id: 'x', phase: 'done', block }],
    ['another scope', { type: 'hosted_tool', id: 'x', dialect: 'd', phase: 'done', block, scope: 'response' }],
  ] as const) {
    it(`refuses ${what}`, () => expect(parseRecord(withClientEvents([event]))).to.be.a('string'));
  }
});

/** A tool call's caller in a recording (Anthropic's programmatic tool calling): checked like every event's fields. */
describe('replay/record schema: tool call callers', () => {
  const started = (caller: unknown) => ({ type: 'tool_call_started', id: 'toolu_1', name: 'query', caller });

  it('takes a caller with its dialect and value', () => {
    const caller = { dialect: 'anthropic.caller', value: { type: 'code_execution_20250825', tool_id: 'srvtoolu_1' } };
    const parsed = parseRecord(withClientEvents([{ type: 'response_started' }, started(caller), { type: 'response_finished', reason: 'tool_calls' }]));
    expect(parsed, String(parsed)).to.be.an('object');
    expect((parsed as ExchangeRecord).client.events[1]![1]).to.deep.include({ caller });
  });

  for (const [what, caller] of [
    ['a caller that is not an object', 'code_execution'],
    ['a caller without its dialect', { value: { type: 'direct' } }],
    ['a caller whose value is not an object', { dialect: 'anthropic.caller', value: 'direct' }],
  ] as const) {
    it(`refuses ${what}`, () => expect(parseRecord(withClientEvents([started(caller)]))).to.be.a('string'));
  }
});

/** The record schema's validator as the build writes it (lib/wire/precompiled-validators.ts) against ajv at run time. */
describe('replay/record schema: the precompiled validator', () => {
  const lines = readFileSync(new URL('../../testdata/replay/corpus.jsonl', import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== '');
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-record-schema-'));
    writePrecompiledValidators(RECORD_VALIDATORS, [RECORD_SCHEMA], dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every corpus record, whole and damaged, the verdict of the validator compiled at run time', () => {
    const loaded = new SchemaValidators(RECORD_VALIDATORS, dir);
    const compiled = new SchemaValidators(RECORD_VALIDATORS, null);
    const fromModule = loaded.validator(RECORD_SCHEMA);
    const fromAjv = compiled.validator(RECORD_SCHEMA);
    expect([loaded.compiled, compiled.compiled]).to.deep.equal([0, 1]);
    const damaged = (record: Record<string, unknown>): unknown[] => [
      record,
      { ...record, v: 2 },
      { ...record, attempts: 'none' },
      { ...record, client: { ...(record.client as object), events: [[0, { type: 'no_such_event' }]] } },
      { ...record, client: { ...(record.client as object), events: [[0, { type: 'text_delta' }]] } },
    ];
    let valid = 0;
    for (const text of lines) {
      for (const value of damaged(JSON.parse(text) as Record<string, unknown>)) {
        const ok = fromAjv(value);
        if (ok) valid++;
        expect(fromModule(value)).to.equal(ok);
        expect(fromModule.errors ?? null).to.deep.equal(fromAjv.errors ?? null);
      }
    }
    expect(valid).to.equal(lines.length);
  });

  it('the build precompiled it (dist/precompiled; `npm run build` writes it)', () => {
    const built = fileURLToPath(new URL('../../dist/precompiled/', import.meta.url));
    expect(existsSync(join(built, `${schemaDigest(RECORD_VALIDATORS, RECORD_SCHEMA)}.cjs`)), 'run `npm run build`').to.equal(true);
  });
});
