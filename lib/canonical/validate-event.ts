/**
 * Why one canonical event is malformed, or undefined: it must be an object of a known type whose
 * fields have their types (lib/canonical/events.ts: a non-empty tool call id and name, text as a
 * string, token counts as finite numbers of at least 0, a known finish reason, ...). Fields the
 * event type does not name are not looked at. Ordering is `SequenceValidator`'s; this checks
 * one event alone, for whatever a hook hands back (a mutated event, a tool or gate replacement)
 * before an encoder writes it out. Written out per type (named property reads, nothing
 * allocated unless a field is wrong): a few tens of nanoseconds an event.
 */
export function validateEvent(event: unknown): string | undefined {
  if (!isObject(event)) return `an event must be an object${got(event)}`;
  const problem = fieldProblem(event);
  if (problem === UNKNOWN) return `unknown event type ${typeof event.type === 'string' ? JSON.stringify(event.type) : kind(event.type)}`;
  return problem === undefined ? undefined : `${event.type as string}${problem}`;
}

const UNKNOWN = '?';

/** The first malformed field of an event (`.field must be ...`), UNKNOWN for an unknown type, or undefined. */
function fieldProblem(e: Record<string, unknown>): string | undefined {
  switch (e.type) {
    case 'response_started': return at('id', maybe(e.id, string)) ?? at('model', maybe(e.model, string));
    case 'message_started': return undefined;
    case 'text_delta': return at('text', string(e.text)) ?? at('logprobs', maybe(e.logprobs, logprobs)) ?? at('refusal', maybe(e.refusal, flag));
    case 'reasoning_delta': return at('text', string(e.text));
    case 'reasoning_signature': return at('signature', string(e.signature)) ?? at('dialect', maybe(e.dialect, string)) ?? at('standalone', maybe(e.standalone, flag));
    case 'reasoning_opaque': return at('dialect', string(e.dialect)) ?? at('data', string(e.data)) ?? at('id', maybe(e.id, string));
    case 'tool_call_started':
      return at('id', id(e.id)) ?? at('name', id(e.name)) ?? at('signature', maybe(e.signature, string)) ?? at('dialect', maybe(e.dialect, string))
        ?? at('custom', maybe(e.custom, flag)) ?? at('caller', maybe(e.caller, dialectValue)) ?? at('namespace', maybe(e.namespace, string))
        ?? at('providerFields', maybe(e.providerFields, dialectValue)) ?? at('toolset', maybe(e.toolset, string));
    case 'tool_call_delta': return at('id', id(e.id)) ?? at('args', string(e.args));
    case 'tool_call_finished': return at('id', id(e.id));
    case 'web_search':
      return at('id', string(e.id)) ?? at('status', oneOf(e.status, SEARCH_STATUSES)) ?? at('query', maybe(e.query, string))
        ?? at('results', maybe(e.results, searchResults)) ?? at('error', maybe(e.error, string)) ?? at('dialect', maybe(e.dialect, string))
        ?? at('entryPoint', maybe(e.entryPoint, string));
    case 'citation':
      return at('url', maybe(e.url, string)) ?? at('title', maybe(e.title, string)) ?? at('citedText', maybe(e.citedText, string))
        ?? at('start', count(e.start)) ?? at('end', count(e.end)) ?? at('document', maybe(e.document, documentLocation))
        ?? at('searchResult', maybe(e.searchResult, searchResultRange)) ?? at('encryptedIndex', maybe(e.encryptedIndex, string))
        ?? at('dialect', maybe(e.dialect, string)) ?? (e.url === undefined && e.document === undefined ? ' names no source (its url or its document)' : undefined);
    case 'hosted_tool':
      return at('id', string(e.id)) ?? at('dialect', string(e.dialect)) ?? at('phase', oneOf(e.phase, HOSTED_PHASES))
        ?? at('block', maybe(e.block, object)) ?? at('update', maybe(e.update, object)) ?? at('scope', e.scope === undefined ? undefined : oneOf(e.scope, HOSTED_SCOPES));
    case 'usage': return at('usage', usage(e.usage));
    case 'warning': return at('code', string(e.code)) ?? at('message', string(e.message));
    case 'error': return at('code', string(e.code)) ?? at('message', string(e.message)) ?? at('status', maybe(e.status, integer));
    case 'response_finished':
      return at('reason', oneOf(e.reason, FINISH_REASONS)) ?? at('raw', maybe(e.raw, string)) ?? at('stopSequence', maybe(e.stopSequence, string))
        ?? at('resume', maybe(e.resume, string)) ?? at('details', maybe(e.details, dialectValue));
    default: return UNKNOWN;
  }
}

/**
 * What is wrong with a value, relative to it: ` must be ... (got ...)` for the value itself,
 * `.field must be ...` or `[2] must be ...` within it; undefined when it is right.
 */
type Check = (v: unknown) => string | undefined;

const SEARCH_STATUSES = ['searching', 'completed', 'failed'];
const HOSTED_PHASES = ['added', 'progress', 'done'];
const HOSTED_SCOPES = ['message'];
const FINISH_REASONS = ['stop', 'length', 'tool_calls', 'content_filter', 'stop_sequence', 'other'];
const DOCUMENT_KINDS = ['char', 'page', 'block'];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'number' ? String(v) : typeof v);
const got = (v: unknown) => ` (got ${kind(v)})`;
const must = (what: string, v: unknown) => ` must be ${what}${got(v)}`;
/** A problem of the field `key` of a value, placed there; nothing is built when there is none. */
const at = (key: string, problem: string | undefined) => (problem === undefined ? undefined : `.${key}${problem}`);
const maybe = (v: unknown, check: Check) => (v === undefined ? undefined : check(v));

const string: Check = (v) => (typeof v === 'string' ? undefined : must('a string', v));
const id: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : must('a non-empty string', v));
const flag: Check = (v) => (typeof v === 'boolean' ? undefined : must('a boolean', v));
const number: Check = (v) => (Number.isFinite(v) ? undefined : must('a finite number', v));
const integer: Check = (v) => (Number.isInteger(v) ? undefined : must('an integer', v));
/** A token count or a text offset (NaN fails the comparison). */
const count: Check = (v) => (typeof v === 'number' && v >= 0 && v !== Infinity ? undefined : must('a finite number of at least 0', v));
const object: Check = (v) => (isObject(v) ? undefined : must('an object', v));
const array: Check = (v) => (Array.isArray(v) ? undefined : must('an array', v));
const oneOf = (v: unknown, values: readonly string[]) => (values.includes(v as string) ? undefined : must(`one of ${values.join(', ')}`, v));

/** An array whose every item passes `item`. */
function list(v: unknown, item: Check): string | undefined {
  if (!Array.isArray(v)) return must('an array', v);
  for (let i = 0; i < v.length; i++) {
    const problem = item(v[i]);
    if (problem !== undefined) return `[${i}]${problem}`;
  }
  return undefined;
}

/** An object whose fields pass `fields` (given the object). */
const shape = (fields: (o: Record<string, unknown>) => string | undefined): Check => (v) => (isObject(v) ? fields(v) : must('an object', v));

/** A provider's own data in its dialect's form (caller, providerFields, details). */
const dialectValue = shape((o) => at('dialect', string(o.dialect)) ?? at('value', object(o.value)));

const integers: Check = (v) => list(v, integer);
const alternative = shape((o) => at('token', string(o.token)) ?? at('logprob', number(o.logprob)) ?? at('bytes', maybe(o.bytes, integers)));
const alternatives: Check = (v) => list(v, alternative);
const logprob = shape((o) => alternative(o) ?? at('top', maybe(o.top, alternatives)));
const logprobs: Check = (v) => list(v, logprob);

const searchResult = shape((o) => at('url', string(o.url)) ?? at('title', maybe(o.title, string)) ?? at('pageAge', maybe(o.pageAge, string)) ?? at('encrypted', maybe(o.encrypted, string)));
const searchResults: Check = (v) => list(v, searchResult);

const documentLocation = shape((o) => at('index', count(o.index)) ?? at('kind', oneOf(o.kind, DOCUMENT_KINDS)) ?? at('start', count(o.start))
  ?? at('end', count(o.end)) ?? at('title', maybe(o.title, string)) ?? at('fileId', maybe(o.fileId, string)));
const searchResultRange = shape((o) => at('index', count(o.index)) ?? at('start', count(o.start)) ?? at('end', count(o.end)));

const compaction = shape((o) => at('inputTokens', count(o.inputTokens)) ?? at('outputTokens', count(o.outputTokens))
  ?? at('cacheReadTokens', count(o.cacheReadTokens)) ?? at('cacheWriteTokens', count(o.cacheWriteTokens)));
const iterations = shape((o) => at('dialect', string(o.dialect)) ?? at('value', array(o.value)));
const usage = shape((o) => at('inputTokens', maybe(o.inputTokens, count)) ?? at('outputTokens', maybe(o.outputTokens, count))
  ?? at('totalTokens', maybe(o.totalTokens, count)) ?? at('cacheReadTokens', maybe(o.cacheReadTokens, count))
  ?? at('cacheWriteTokens', maybe(o.cacheWriteTokens, count)) ?? at('reasoningTokens', maybe(o.reasoningTokens, count))
  ?? at('cacheWrite1hTokens', maybe(o.cacheWrite1hTokens, count)) ?? at('serviceTier', maybe(o.serviceTier, string))
  ?? at('inferenceGeo', maybe(o.inferenceGeo, string)) ?? at('speed', maybe(o.speed, string))
  ?? at('compaction', maybe(o.compaction, compaction)) ?? at('iterations', maybe(o.iterations, iterations)));
