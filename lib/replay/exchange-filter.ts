import { nearest } from '../config/suggest.js';
import { globPattern } from '../wire/glob-pattern.js';
import type { ExchangeRecord } from './record-format.js';

/** Whether a recorded exchange is one to replay. */
export type ExchangeFilter = (record: ExchangeRecord) => boolean;

/** A model the path of a Gemini request names (`/v1beta/models/{model}:generateContent`). */
const GEMINI_PATH_MODEL = /\/models\/([^/?]+):[A-Za-z]+(?:\?|$)/;

/** Present values only: a null field has no value, so no pattern matches it. */
const present = (...values: readonly (string | null | undefined)[]): string[] => [...new Set(values.filter((v): v is string => typeof v === 'string'))];

/** The model the client asked for: the body's `model`, or a Gemini path's; else the recorded selector. */
function modelOf(r: ExchangeRecord): string[] {
  const body = r.request.body as { model?: unknown } | null;
  const asked = typeof body?.model === 'string' ? body.model : GEMINI_PATH_MODEL.exec(r.request.path)?.[1];
  return present(asked !== undefined ? decodeURIComponent(asked) : r.selector);
}

/** The fields `--filter` reads, each as the values an exchange has for it. */
const FIELDS: Readonly<Record<string, (r: ExchangeRecord) => readonly string[]>> = {
  id: (r) => [r.id],
  request_id: (r) => [r.request_id],
  frontend: (r) => [r.frontend],
  path: (r) => [r.request.path],
  principal: (r) => [r.principal],
  session_id: (r) => present(r.session_id),
  selector: (r) => present(r.selector),
  model: modelOf,
  status: (r) => [String(r.client.status)],
  backend: (r) => present(...r.attempts.map((a) => a.backend_id)),
  outcome: (r) => present(...r.attempts.map((a) => a.outcome)),
};

/** The field names, for messages. */
export const FILTER_FIELDS: readonly string[] = Object.keys(FIELDS);

/** `field=glob`, `field!=glob`, `status>=N` … (the field is lower case letters and `_`). */
const EXPRESSION = /^([a-z_]+)(!=|>=|<=|=|>|<)(.*)$/s;

const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '>=': (a, b) => a >= b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '<': (a, b) => a < b,
};

/**
 * One `--filter` expression as a test of an exchange, or a string saying what is wrong with it.
 * `field=glob` keeps an exchange with a value of the field that the glob matches whole (a field
 * with several values, `backend` and `outcome` over the attempts, needs one; a null one, such as
 * an absent `session_id`, has none); `field!=glob` keeps the others. `status` also compares as a
 * number: `status>=500`, `status<400`.
 */
export function parseFilter(expression: string): ExchangeFilter | string {
  const fields = `fields: ${FILTER_FIELDS.join(', ')}`;
  const parts = EXPRESSION.exec(expression);
  if (!parts) return `--filter ${JSON.stringify(expression)} is not FIELD=GLOB, FIELD!=GLOB or status>=N (also >, <=, <) (${fields})`;
  const [, field, op, value] = parts as unknown as [string, string, string, string];
  const read = FIELDS[field];
  if (!read) {
    const guess = nearest(field, FILTER_FIELDS);
    return `--filter ${JSON.stringify(expression)}: unknown field "${field}"${guess ? `; did you mean "${guess}"?` : ''} (${fields})`;
  }
  if (value === '') return `--filter ${JSON.stringify(expression)}: no pattern after ${op}`;
  const compare = COMPARE[op];
  if (compare) {
    if (field !== 'status') return `--filter ${JSON.stringify(expression)}: only status compares as a number (${op}); use = or != with a glob`;
    if (!/^\d+$/.test(value)) return `--filter ${JSON.stringify(expression)}: status ${op} takes a whole number`;
    const n = Number(value);
    return (r) => compare(r.client.status, n);
  }
  const pattern = globPattern(value);
  const matches = (r: ExchangeRecord) => read(r).some((v) => pattern.test(v));
  return op === '=' ? matches : (r) => !matches(r);
}

/** Every expression as one test (all must match), or the first problem. */
export function parseFilters(expressions: readonly string[]): ExchangeFilter | string {
  const tests: ExchangeFilter[] = [];
  for (const expression of expressions) {
    const test = parseFilter(expression);
    if (typeof test === 'string') return test;
    tests.push(test);
  }
  return (r) => tests.every((test) => test(r));
}
