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
 * keyword.
 */
const NOT_PERMITTED = ['allOf', 'not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'patternProperties', 'oneOf'];

/** Python's repr of the context tuple the API names ("()", "('properties', 'u')", "('items',)"). */
const context = (path: readonly (string | number)[]): string => {
  const parts = path.map((p) => (typeof p === 'number' ? String(p) : `'${p}'`));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
};

/** The first part of a schema outside the strict subset, in the API's words, or undefined. */
function strictProblem(schema: unknown, path: readonly (string | number)[] = []): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const s = schema as Json;
  const where = `In context=${context(path)}`;
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
    const problem = strictProblem(sub, at);
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
