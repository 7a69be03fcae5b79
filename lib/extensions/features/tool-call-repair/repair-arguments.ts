import type { ErrorObject } from 'ajv';
import type { ToolDefinition } from '../../../canonical/index.js';
import { completeJson, removeDanglingComma } from './complete-json.js';
import { normaliseName, type RepairReason } from './repair-reasons.js';
import { resolvePointer } from './schema-prescan.js';
import type { CompiledSchema, ValidatorCache } from './validator-cache.js';

/** What repair decided for one finished tool call. `name`/`args` are set only for a rewrite. */
export interface RepairOutcome {
  readonly reasons: readonly RepairReason[];
  readonly name?: string;
  readonly args?: string;
  /** True when the call is left as it came although it does not match its schema. */
  readonly unrepaired?: boolean;
}

type Compiled = Extract<CompiledSchema, { ok: true }>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Conservative repair of one tool call against the declared tools: the tool by exact name, else
 * by a unique ASCII-normalised name; the arguments validated as they came, and when invalid the
 * candidates in order, each post-validated: append-only completion, one dangling comma removed,
 * a pending final root property from const / single enum / default; then, on the parsed value,
 * property renames on a unique normalised match, missing required properties that have a
 * const / single enum / default, and removal of unknown properties under
 * `additionalProperties: false`. Never coerces a scalar or invents a value.
 */
export function repairArguments(name: string, args: string, tools: readonly ToolDefinition[], cache: ValidatorCache): RepairOutcome {
  const reasons: RepairReason[] = [];
  let tool = tools.find((t) => t.name === name);
  if (!tool) {
    const key = normaliseName(name);
    const matches = tools.filter((t) => normaliseName(t.name) === key);
    if (matches.length > 1) return { reasons: ['ambiguous_tool_name'], unrepaired: true };
    if (matches.length === 0) return { reasons: ['unrepairable'], unrepaired: true };
    tool = matches[0]!;
    reasons.push('tool_name_normalized');
  }
  const compiled = cache.get(tool.parameters);
  if (!compiled.ok) return { reasons: [compiled.reason], unrepaired: true };
  const renamed = reasons.length > 0 ? tool.name : undefined;
  const parsed = parse(args === '' ? '{}' : args);
  if (parsed !== undefined && compiled.validate(parsed.value) === undefined) {
    return renamed ? { reasons, name: renamed } : { reasons: ['valid_pass_through'] };
  }
  let value: Json | undefined = parsed?.value;
  if (parsed === undefined) {
    const syntax = repairSyntax(args, compiled);
    if (syntax === undefined) return { reasons: [...reasons, 'unrepairable'], unrepaired: true };
    reasons.push(...syntax.reasons);
    if (syntax.valid) return done(reasons, renamed, syntax.text);
    value = syntax.value;
  }
  const structural = repairStructure(value!, compiled, reasons);
  if (structural.ok) return done(reasons, renamed, JSON.stringify(structural.value));
  return { reasons: [...reasons.filter((r) => r === 'tool_name_normalized'), structural.reason], unrepaired: true };
}

function done(reasons: RepairReason[], name: string | undefined, args: string): RepairOutcome {
  return { reasons, args, ...(name !== undefined ? { name } : {}) };
}

function parse(text: string): { value: Json } | undefined {
  try {
    return { value: JSON.parse(text) as Json };
  } catch {
    return undefined;
  }
}

/** The first syntax candidate that parses; `valid` when it also validates. */
function repairSyntax(args: string, compiled: Compiled): { reasons: RepairReason[]; text: string; value: Json; valid: boolean } | undefined {
  const tries: (() => { text: string; reason: RepairReason } | undefined)[] = [
    () => textOf(completeJson(args), 'syntax_repaired'),
    () => { const cut = removeDanglingComma(args); return cut === undefined ? undefined : parse(cut) ? { text: cut, reason: 'syntax_repaired' } : textOf(completeJson(cut), 'syntax_repaired'); },
    () => pendingFill(args, compiled),
    () => { const cut = removeDanglingComma(args); return cut === undefined ? undefined : pendingFill(cut, compiled); },
  ];
  let fallback: { reasons: RepairReason[]; text: string; value: Json; valid: boolean } | undefined;
  for (const attempt of tries) {
    const got = attempt();
    if (!got) continue;
    const parsed = parse(got.text);
    if (!parsed) continue;
    const reasons: RepairReason[] = got.reason === 'syntax_repaired' ? ['syntax_repaired'] : ['syntax_repaired', got.reason];
    if (compiled.validate(parsed.value) === undefined) return { reasons, text: got.text, value: parsed.value, valid: true };
    fallback ??= { reasons, text: got.text, value: parsed.value, valid: false };
  }
  return fallback;
}

function textOf(completion: ReturnType<typeof completeJson>, reason: RepairReason): { text: string; reason: RepairReason } | undefined {
  return completion && 'text' in completion ? { text: completion.text, reason } : undefined;
}

/** `{"a":1,"mode"` -> `{"a":1,"mode":"fast"}` when the root property `mode` has one possible value. */
function pendingFill(args: string, compiled: Compiled): { text: string; reason: RepairReason } | undefined {
  const completion = completeJson(args);
  if (!completion || !('pending' in completion)) return undefined;
  const { key, head, closers } = completion.pending;
  const prop = propertySchema(compiled.schema, compiled.schema, key);
  const known = knownValue(compiled.schema, prop);
  return known ? { text: head + JSON.stringify(known.value) + closers, reason: known.reason } : undefined;
}

/** The one value a property schema allows or proposes: const, a single enum, then default. */
function knownValue(root: Record<string, unknown>, schema: unknown): { value: Json; reason: RepairReason } | undefined {
  const s = deref(root, schema);
  if (!s) return undefined;
  if ('const' in s) return { value: s.const as Json, reason: 'const_inserted' };
  if (Array.isArray(s.enum) && s.enum.length === 1) return { value: s.enum[0] as Json, reason: 'enum_inserted' };
  if ('default' in s) return { value: s.default as Json, reason: 'default_inserted' };
  return undefined;
}

function deref(root: Record<string, unknown>, schema: unknown): Record<string, unknown> | undefined {
  let s = schema;
  for (let hop = 0; hop < 32 && s !== null && typeof s === 'object' && typeof (s as Record<string, unknown>).$ref === 'string'; hop++) {
    s = resolvePointer(root, (s as Record<string, string>).$ref);
  }
  return s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : undefined;
}

function propertySchema(root: Record<string, unknown>, parent: unknown, key: string): unknown {
  const props = deref(root, parent)?.properties;
  return props !== null && typeof props === 'object' && Object.prototype.hasOwnProperty.call(props, key) ? (props as Record<string, unknown>)[key] : undefined;
}

type Structural = { ok: true; value: Json } | { ok: false; reason: RepairReason };

/** Renames, insertions and removals driven by ajv's errors, in that order, post-validated. */
function repairStructure(start: Json, compiled: Compiled, reasons: RepairReason[]): Structural {
  let value = structuredClone(start);
  const steps: ((errors: readonly ErrorObject[]) => RepairReason | 'ambiguous' | undefined)[] = [
    (errors) => renameProperties(value, errors),
    (errors) => insertRequired(value, errors, compiled.schema),
    (errors) => removeUnknown(value, errors),
  ];
  let errors = compiled.validate(value);
  for (const step of steps) {
    if (errors === undefined) break;
    const applied = step(errors);
    if (applied === 'ambiguous') return { ok: false, reason: 'ambiguous_property' };
    if (applied) {
      reasons.push(applied);
      errors = compiled.validate(value);
    }
  }
  if (errors === undefined) return { ok: true, value };
  const scalarType = errors.some((e) => e.keyword === 'type' && e.data !== null && typeof e.data !== 'object');
  return { ok: false, reason: scalarType ? 'scalar_coercion_disabled' : 'unrepairable' };
}

function at(root: Json, pointer: string): Json | undefined {
  let node: Json | undefined = root;
  for (const raw of pointer === '' ? [] : pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(part)] : node[part];
  }
  return node;
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);
const extraOf = (e: ErrorObject) => (e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty
  : e.keyword === 'unevaluatedProperties' ? (e.params as { unevaluatedProperty: string }).unevaluatedProperty : undefined);

function renameProperties(value: Json, errors: readonly ErrorObject[]): RepairReason | 'ambiguous' | undefined {
  let renamed = false;
  for (const e of errors) {
    const extra = extraOf(e);
    const target = at(value, e.instancePath);
    if (extra === undefined || !isObject(target) || !Object.hasOwn(target, extra)) continue;
    const props = Object.keys((e.parentSchema?.properties ?? {}) as Record<string, unknown>);
    const matches = props.filter((p) => normaliseName(p) === normaliseName(extra));
    if (matches.length > 1) return 'ambiguous';
    if (matches.length === 0 || Object.hasOwn(target, matches[0]!)) continue;
    const entries = Object.entries(target); // the renamed key keeps its place
    for (const k of Object.keys(target)) delete target[k];
    for (const [k, v] of entries) target[k === extra ? matches[0]! : k] = v;
    renamed = true;
  }
  return renamed ? 'property_renamed' : undefined;
}

function insertRequired(value: Json, errors: readonly ErrorObject[], root: Record<string, unknown>): RepairReason | undefined {
  let reason: RepairReason | undefined;
  for (const e of errors) {
    if (e.keyword !== 'required') continue;
    const missing = (e.params as { missingProperty: string }).missingProperty;
    const target = at(value, e.instancePath);
    // Own keys only: a required property named `constructor` is missing however objects inherit.
    if (!isObject(target) || Object.hasOwn(target, missing)) continue;
    const known = knownValue(root, propertySchema(root, e.parentSchema, missing));
    if (!known) continue;
    target[missing] = structuredClone(known.value);
    reason ??= known.reason;
  }
  return reason;
}

function removeUnknown(value: Json, errors: readonly ErrorObject[]): RepairReason | undefined {
  let removed = false;
  for (const e of errors) {
    const extra = extraOf(e);
    const target = at(value, e.instancePath);
    if (extra === undefined || !isObject(target) || !Object.hasOwn(target, extra)) continue;
    delete target[extra];
    removed = true;
  }
  return removed ? 'additional_property_removed' : undefined;
}
