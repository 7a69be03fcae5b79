import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILTER_FIELDS, parseFilter, parseFilters } from '../../lib/replay/exchange-filter.js';
import { parseRecord, type ExchangeRecord } from '../../lib/replay/record-format.js';
import { CORPUS_DIR } from './corpus/record-corpus.js';

const RECORDS = readFileSync(join(CORPUS_DIR, 'corpus.jsonl'), 'utf8').trim().split('\n').map((l) => parseRecord(l) as ExchangeRecord);

/** The ids of the corpus records the expressions keep. */
function kept(...expressions: string[]): string[] {
  const test = parseFilters(expressions);
  if (typeof test === 'string') throw new Error(test);
  return RECORDS.filter(test).map((r) => r.id);
}
const ids = (pick: (r: ExchangeRecord) => boolean) => RECORDS.filter(pick).map((r) => r.id);

describe('replay/exchange-filter (lip replay --filter)', () => {
  it('field=glob matches the whole value (* any run, ? one character, the rest literal); != keeps the others', () => {
    expect(kept('frontend=gemini')).to.deep.equal(ids((r) => r.frontend === 'gemini')).and.have.length.greaterThan(0);
    expect(kept('frontend=gem')).to.deep.equal([]);
    expect(kept('frontend=openai-*')).to.deep.equal(ids((r) => r.frontend.startsWith('openai-')));
    expect(kept('frontend!=openai-*')).to.deep.equal(ids((r) => !r.frontend.startsWith('openai-')));
    expect(kept('path=/v1/?esponses')).to.deep.equal(ids((r) => r.request.path === '/v1/responses'));
    // Characters a regular expression would read are literal: `.` is not any character, `|` not an alternative.
    expect(kept('selector=up:busy|up:fast')).to.deep.equal(ids((r) => r.selector === 'up:busy|up:fast')).and.have.length.greaterThan(0);
    expect(kept('selector=up.fast')).to.deep.equal([]);
    expect(kept('path=/v1/chat/completions', 'request_id=*', 'principal=local')).to.deep.equal(ids((r) => r.request.path === '/v1/chat/completions'));
  });

  it('reads id, request_id, session_id, selector, model, status, backend and outcome', () => {
    const [first] = RECORDS;
    expect(kept(`id=${first!.id}`)).to.deep.equal([first!.id]);
    expect(kept(`request_id=${first!.request_id}`)).to.deep.equal([first!.id]);
    expect(kept(`session_id=${first!.session_id!}`)).to.deep.equal([first!.id]);
    expect(kept('session_id=embed:*')).to.deep.equal(ids((r) => r.session_id?.startsWith('embed:') === true));
    expect(kept('selector=*up:slow|*')).to.deep.equal(ids((r) => r.selector?.includes('up:slow|') === true)).and.have.length(1);
    // model: the body's model (an alias the client asked for), a Gemini path's model, else the selector.
    expect(kept('model=corpus-*')).to.deep.equal(ids((r) => /"model":"corpus-|\/models\/corpus-/.test(JSON.stringify(r.request)))).and.have.length(5);
    expect(kept('model=up:fast', 'frontend=gemini')).to.deep.equal(ids((r) => r.frontend === 'gemini' && r.request.path.includes('/models/up:fast:')));
    expect(kept('status=200')).to.have.length(RECORDS.length);
    expect(kept('status=2??')).to.have.length(RECORDS.length);
    expect(kept('status>=200', 'status<300', 'status>199', 'status<=200')).to.have.length(RECORDS.length);
    expect(kept('status>=500')).to.deep.equal([]);
    // backend, outcome: any attempt's.
    expect(kept('backend=up')).to.have.length(RECORDS.length);
    expect(kept('outcome=cancelled')).to.deep.equal(ids((r) => r.attempts.some((a) => a.outcome === 'cancelled'))).and.have.length(1);
    expect(kept('outcome=failure')).to.deep.equal(ids((r) => r.attempts.some((a) => a.outcome === 'failure')));
    expect(kept('outcome!=success')).to.deep.equal(ids((r) => r.attempts.every((a) => a.outcome !== 'success'))).and.have.length(1);
  });

  it('a null field has no value: no glob matches it, != keeps it', () => {
    const record = { ...RECORDS[0]!, session_id: null, selector: null };
    const test = (expression: string) => (parseFilter(expression) as (r: ExchangeRecord) => boolean)(record);
    expect([test('session_id=*'), test('session_id!=*'), test('selector=*'), test('selector!=x')]).to.deep.equal([false, true, false, true]);
  });

  it('words what is wrong with an expression, naming the fields', () => {
    const fields = `fields: ${FILTER_FIELDS.join(', ')}`;
    expect(FILTER_FIELDS).to.include.members(['frontend', 'path', 'principal', 'session_id', 'id', 'request_id', 'selector', 'model', 'status', 'backend', 'outcome']);
    expect(parseFilter('fronted=gemini')).to.equal(`--filter "fronted=gemini": unknown field "fronted"; did you mean "frontend"? (${fields})`);
    expect(parseFilter('colour=red')).to.equal(`--filter "colour=red": unknown field "colour" (${fields})`);
    expect(parseFilter('gemini')).to.equal(`--filter "gemini" is not FIELD=GLOB, FIELD!=GLOB or status>=N (also >, <=, <) (${fields})`);
    expect(parseFilter('Frontend=x')).to.be.a('string');
    expect(parseFilter('frontend=')).to.equal('--filter "frontend=": no pattern after =');
    expect(parseFilter('frontend>=a')).to.equal('--filter "frontend>=a": only status compares as a number (>=); use = or != with a glob');
    expect(parseFilter('status<abc')).to.equal('--filter "status<abc": status < takes a whole number');
    expect(parseFilters(['frontend=gemini', 'nope=1'])).to.be.a('string').and.contain('unknown field "nope"');
  });
});
