/**
 * Per-leaf generation overrides written as the leaf's `?query` (CONTRACT section 5):
 * `a:m?temperature=0.2&reasoning_effort=high`. Validated once at parse time; merged into the
 * request's options when that leaf is tried (`applyOverrides`). Absent = leave the request alone.
 *
 * | query key (alias)                  | value                                        |
 * |------------------------------------|----------------------------------------------|
 * | `temperature`                      | number, 0 to 2                               |
 * | `top_p` (`topP`)                   | number, 0 to 1                               |
 * | `max_output_tokens` (`max_tokens`) | integer, 1 to 2^31-1                         |
 * | `reasoning_effort`                 | a word: minimal, low, medium, high, ...      |
 * | `verbosity`                        | low, medium or high                          |
 * | `parallel_tool_calls`              | true/false, 1/0, yes/no, on/off              |
 *
 * Other keys are kept in the leaf's query (they are part of its candidate key) and change nothing.
 * @see spec/routing/params/parse-route-query.spec.ts
 */
export interface RouteParams {
  readonly temperature?: number;
  readonly topP?: number;
  readonly maxOutputTokens?: number;
  readonly reasoningEffort?: string;
  readonly verbosity?: 'low' | 'medium' | 'high';
  readonly parallelToolCalls?: boolean;
}

export type RouteParamName = keyof RouteParams;

/** How one override is written and checked. `parse` answers undefined for an invalid value. */
export interface ParamSpec {
  readonly name: RouteParamName;
  /** The documented query key (explain output uses it). */
  readonly key: string;
  /** What a valid value looks like, for messages. */
  readonly expects: string;
  readonly parse: (value: string) => RouteParams[RouteParamName] | undefined;
}

const MAX_INT32 = 2_147_483_647;
/** A Map, not an object: the value is the client's text, and `__proto__` or `constructor` must find nothing. */
const BOOLEANS: ReadonlyMap<string, boolean> = new Map(Object.entries({ true: true, '1': true, yes: true, on: true, false: false, '0': false, no: false, off: false }));
const LEVELS = new Set(['low', 'medium', 'high']);

/** A plain decimal (`0.7`, `1`, `.5`, `2.`) within [min, max]; no signs, exponents or words. */
function decimal(min: number, max: number): (value: string) => number | undefined {
  return (value) => {
    let dots = 0;
    let digits = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x2e) dots++;
      else if (c >= 0x30 && c <= 0x39) digits++;
      else return undefined;
    }
    if (digits === 0 || dots > 1 || value.length > 32) return undefined;
    const n = Number(value);
    return n >= min && n <= max ? n : undefined;
  };
}

function positiveInt(value: string): number | undefined {
  if (value.length === 0 || value.length > 10) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  const n = Number(value);
  return n >= 1 && n <= MAX_INT32 ? n : undefined;
}

/** A short word (`minimal`, `xhigh`, `none`): letters, digits, `_` and `-`, lower-cased. */
function effort(value: string): string | undefined {
  if (value.length === 0 || value.length > 32) return undefined;
  const lower = value.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d)) return undefined;
  }
  return lower;
}

const SPECS: readonly ParamSpec[] = [
  { name: 'temperature', key: 'temperature', expects: 'a number from 0 to 2', parse: decimal(0, 2) },
  { name: 'topP', key: 'top_p', expects: 'a number from 0 to 1', parse: decimal(0, 1) },
  { name: 'maxOutputTokens', key: 'max_output_tokens', expects: `an integer from 1 to ${MAX_INT32}`, parse: positiveInt },
  { name: 'reasoningEffort', key: 'reasoning_effort', expects: 'a word such as minimal, low, medium or high', parse: effort },
  { name: 'verbosity', key: 'verbosity', expects: 'low, medium or high', parse: (v) => (LEVELS.has(v.toLowerCase()) ? v.toLowerCase() as RouteParams['verbosity'] : undefined) },
  { name: 'parallelToolCalls', key: 'parallel_tool_calls', expects: 'true or false (also 1/0, yes/no, on/off)', parse: (v) => BOOLEANS.get(v.toLowerCase()) },
];

const spec = (name: RouteParamName) => SPECS.find((s) => s.name === name)!;

/** Query key -> spec, aliases included (`topP`, `max_tokens`). Keys are case-sensitive. */
export const PARAM_SPECS: ReadonlyMap<string, ParamSpec> = new Map<string, ParamSpec>([
  ...SPECS.map((s) => [s.key, s] as const),
  ['topP', spec('topP')],
  ['max_tokens', spec('maxOutputTokens')],
]);

/** The documented query keys, in table order. */
export const PARAM_KEYS: readonly string[] = SPECS.map((s) => s.key);

/** The overrides under their query keys (`{ "top_p": 0.9 }`), for `lip routes --explain --json`. */
export function paramsToJson(params: RouteParams): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const s of SPECS) {
    const value = params[s.name];
    if (value !== undefined) out[s.key] = value;
  }
  return out;
}
