type Json = Record<string, any>;
type Refusal = { status: number; error: { message: string; type?: string; code?: string } } | undefined;

/**
 * What OpenAI's structured outputs refuse in a schema they are asked to hold to (a function tool
 * with `strict: true`, a `json_schema` response format with `strict: true`), in the API's words:
 * an object that does not set `additionalProperties: false` or does not list every property in
 * `required` ("additionalProperties: false must always be set in objects", "all fields must be
 * required"; an empty or open `{type: "object"}` too), and the keywords outside the supported
 * subset (`allOf`, `not`, `if` / `then` / `else`, `dependentRequired`, `dependentSchemas`,
 * `patternProperties`, `oneOf`). The whole request is refused with a 400, on Chat Completions and
 * on the Responses API alike. The check walks the places a schema holds schemas (`properties`,
 * `$defs`, `definitions`, `items`, `anyOf`), not a property that happens to be named like a
 * keyword. Past the documented size limits (10 levels of nesting below the root, 5,000 object
 * properties, 1,000 enum values, 120,000 characters of names and values, 15,000 for one string
 * enum of more than 250 values) the request is refused too: "6 levels of nesting exceeds limit of
 * 5" is the API's (when its limit was 5), the words for the totals are the emulator's.
 */
const NOT_PERMITTED = ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'oneOf'];
const MAX_DEPTH = 10;
const LIMITS = { properties: 5_000, enumValues: 1_000, chars: 120_000 };
const textLength = (value: unknown) => (typeof value === 'string' ? value.length : JSON.stringify(value)?.length ?? 0);

/** The first part of a schema outside the strict subset or past its limits, in the API's words, or undefined. */
function strictProblem(schema: unknown): string | undefined {
  const totals = { properties: 0, enumValues: 0, chars: 0 };
  const problem = shapeProblem(schema, [], 0, totals);
  if (problem !== undefined) return problem;
  if (totals.properties > LIMITS.properties) return `Total number of object properties (${totals.properties}) exceeds limit of ${LIMITS.properties}.`;
  if (totals.enumValues > LIMITS.enumValues) return `Total number of enum values (${totals.enumValues}) exceeds limit of ${LIMITS.enumValues}.`;
  if (totals.chars > LIMITS.chars) return `Total string length of property names, definition names, enum values and const values (${totals.chars}) exceeds limit of ${LIMITS.chars}.`;
  return undefined;
}

/** Python's repr of the context tuple the API names ("()", "('properties', 'u')", "('items',)"). */
const context = (path: readonly (string | number)[]): string => {
  const parts = path.map((p) => (typeof p === 'number' ? String(p) : `'${p}'`));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
};

function shapeProblem(schema: unknown, path: readonly (string | number)[], depth: number, totals: { properties: number; enumValues: number; chars: number }): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  if (depth > MAX_DEPTH) return `${depth} levels of nesting exceeds limit of ${MAX_DEPTH}.`;
  const s = schema as Json;
  const where = `In context=${context(path)}`;
  totals.properties += Object.keys(s.properties ?? {}).length;
  for (const key of ['properties', '$defs', 'definitions']) if (typeof s[key] === 'object' && s[key] !== null) totals.chars += Object.keys(s[key]).join('').length;
  if (Array.isArray(s.enum)) {
    const chars = s.enum.reduce((sum: number, value: unknown) => sum + textLength(value), 0);
    totals.enumValues += s.enum.length;
    totals.chars += chars;
    if (s.enum.length > 250 && s.enum.every((value: unknown) => typeof value === 'string') && chars > 15_000) {
      return `${where}, the total string length of an enum of ${s.enum.length} values (${chars}) exceeds limit of 15000.`;
    }
  }
  if (s.const !== undefined) totals.chars += textLength(s.const);
  const keyword = NOT_PERMITTED.find((key) => s[key] !== undefined);
  if (keyword !== undefined) return `${where}, '${keyword}' is not permitted.`;
  const object = s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object')) || s.properties !== undefined;
  if (object) {
    if (s.additionalProperties !== false) return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    const required = new Set<unknown>(Array.isArray(s.required) ? s.required : []);
    const missing = Object.keys(s.properties ?? {}).find((p) => !required.has(p));
    if (missing !== undefined) return `${where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
  }
  const nested: [unknown, (string | number)[]][] = [
    ...['properties', '$defs', 'definitions'].flatMap((key) => Object.entries(typeof s[key] === 'object' && s[key] !== null ? s[key] : {}).map(([name, sub]): [unknown, (string | number)[]] => [sub, [...path, key, name]])),
    ...(Array.isArray(s.items) ? s.items.map((sub: unknown, i: number): [unknown, (string | number)[]] => [sub, [...path, 'items', i]]) : [[s.items, [...path, 'items']] as [unknown, (string | number)[]]]),
    ...(Array.isArray(s.anyOf) ? s.anyOf.map((sub: unknown, i: number): [unknown, (string | number)[]] => [sub, [...path, 'anyOf', i]]) : []),
  ];
  for (const [sub, at] of nested) {
    const problem = shapeProblem(sub, at, depth + 1, totals);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

const invalid = (message: string, code?: string): Refusal => ({ status: 400, error: { message, type: 'invalid_request_error', ...(code !== undefined ? { code } : {}) } });

/** What Chat Completions refuses: a strict function tool's or a strict `response_format`'s schema outside the subset. */
export function refuseOpenAIChatSchemas(body: Json | undefined): Refusal {
  for (const t of Array.isArray(body?.tools) ? body!.tools : []) {
    const problem = t?.type === 'function' && t.function?.strict === true ? strictProblem(t.function.parameters) : undefined;
    if (problem !== undefined) return invalid(`Invalid schema for function '${String(t.function.name)}': ${problem}`, 'invalid_function_parameters');
  }
  const format = body?.response_format;
  const problem = format?.type === 'json_schema' && format.json_schema?.strict === true ? strictProblem(format.json_schema.schema) : undefined;
  return problem !== undefined ? invalid(`Invalid schema for response_format '${String(format.json_schema.name)}': ${problem}`) : undefined;
}

/**
 * What the Responses API refuses: a function tool's schema outside the subset under `strict: true`
 * (left out, the API makes a tool strict only when its schema allows it, so nothing is refused),
 * and a strict `text.format`'s.
 */
export function refuseOpenAIResponsesSchemas(body: Json | undefined): Refusal {
  for (const t of Array.isArray(body?.tools) ? body!.tools : []) {
    const problem = t?.type === 'function' && t.strict === true ? strictProblem(t.parameters) : undefined;
    if (problem !== undefined) return invalid(`Invalid schema for function '${String(t.name)}': ${problem}`, 'invalid_function_parameters');
  }
  const format = body?.text?.format;
  const problem = format?.type === 'json_schema' && format.strict === true ? strictProblem(format.schema) : undefined;
  return problem !== undefined ? invalid(`Invalid schema for response_format '${String(format.name)}': ${problem}`) : undefined;
}
