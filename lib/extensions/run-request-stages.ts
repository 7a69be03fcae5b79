import { catalogView, fromCatalogView, validateCall, withoutOrphanedKnobs, withoutRemovedMembers, type Call } from '../canonical/index.js';
import type { LipError } from '../errors/index.js';
import { rejection, type HookFailures } from './hook-failures.js';
import type { HookListName, HookSet, Registered } from './hook-set.js';
import type { HookContext, RequestHook } from './sdk.js';

/** The request-stage lists, in stage order (`request_wide_shaping` is `requestTransforms` here; its per-attempt part runs in the leaf). */
const REQUEST_LISTS = [
  'sessionOpeners', 'secretGuards', 'submitHooks', 'toolCatalogFilters', 'requestTransforms', 'preRequest',
] as const satisfies readonly HookListName[];

/** A span per hook run (tracing on): `lip.extension.<stage>`, ended with the error that stopped the request, if any. */
export interface StageTrace {
  stage(stage: string, attributes: Record<string, string>): { end(error?: unknown): void };
}

/** What the request stages made of the call. */
export interface RequestStagesResult {
  readonly call: Call;
  /** Route hints, in hook order (the executor tries the first one the selector contains first). */
  readonly hints: readonly string[];
}

/**
 * Runs `session_open` ... `route_hinting` over the call, one hook at a time in order. Each
 * hook's answer is checked with the canonical validator (unless it is the call the hook was given); a throw, a rejected promise or an
 * invalid call is that hook's failure (skipped when fail_open, `LIP_ERR_EXTENSION_FAILED`
 * when fail_closed). A `{ reject }` answer is `LIP_ERR_EXTENSION_REJECTED` whatever the mode,
 * with its `status` when that is an error status (400-599), else 403.
 * Each `tool_catalog_filter` answer has its tool choice reconciled with the surviving tools, and
 * loses the hosted knobs of a hosted tool it removed (an MCP server with its toolset: withoutOrphanedKnobs);
 * a toolset's members it removed are turned off in the declaration the others carry (withoutRemovedMembers).
 * A filter sees every tool the model may call, those the history adds included (OpenAI's
 * `additional_tools` items: catalogView), and a tool it removes leaves the item that added it
 * too (fromCatalogView).
 * @see spec/extensions/run-request-stages.spec.ts
 */
export async function runRequestStages(
  call: Call, hooks: HookSet, contextFor: (feature: string) => HookContext, failures: HookFailures, disabled?: ReadonlySet<string>, trace?: StageTrace,
): Promise<RequestStagesResult> {
  let current = call;
  for (const list of REQUEST_LISTS) {
    for (const registered of hooks.get(list, disabled)) {
      const span = trace?.stage(registered.stage, { 'lip.extension.feature': registered.feature, 'lip.extension.hook': registered.hook.id });
      try {
        current = await runOne(registered, current, contextFor(registered.feature), failures, list === 'toolCatalogFilters');
        span?.end();
      } catch (err) {
        span?.end(err);
        throw err;
      }
    }
  }
  const hints: string[] = [];
  for (const registered of hooks.get('routeHints', disabled)) {
    try {
      const answer = await registered.hook.hint(current, contextFor(registered.feature));
      if (!Array.isArray(answer) || answer.some((h) => typeof h !== 'string')) throw new TypeError('a route hint must be a list of candidate keys');
      hints.push(...answer);
    } catch (err) {
      const stop = failures.failed(registered, err);
      if (stop) throw stop;
    }
  }
  return { call: current, hints };
}

/**
 * The `secret_guard` stage alone, for a request that is no generation (a token count, an
 * embedding: nothing else of the request stages applies to it, but the client's text still
 * leaves): each guard in order, as runRequestStages runs it (a `{ reject }` is
 * `LIP_ERR_EXTENSION_REJECTED`, a failure follows the hook's mode). Answers the call the guards
 * left (a `redact` guard's, with its matches replaced).
 */
export async function runSecretGuards(call: Call, hooks: HookSet, contextFor: (feature: string) => HookContext, failures: HookFailures, disabled?: ReadonlySet<string>): Promise<Call> {
  let current = call;
  for (const registered of hooks.get('secretGuards', disabled)) current = await runOne(registered, current, contextFor(registered.feature), failures, false);
  return current;
}

async function runOne(registered: Registered<RequestHook>, call: Call, ctx: HookContext, failures: HookFailures, reconcile: boolean): Promise<Call> {
  let answer: Awaited<ReturnType<RequestHook['run']>>;
  try {
    const view = reconcile ? catalogView(call) : call;
    answer = await registered.hook.run(view, ctx);
    if (answer !== null && typeof answer === 'object' && 'reject' in answer) {
      throw rejection(registered, String(answer.reject), answer.status);
    }
    const next = reconcile ? reconcileToolChoice(fromCatalogView(call, withoutRemovedMembers(view, withoutOrphanedKnobs(view, answer as Call)))) : (answer as Call);
    // The call a hook hands back unchanged was valid when it came in (the server validated it, or this check did).
    const issues = next === call ? [] : validateCall(next);
    if (issues.length > 0) throw new TypeError(`left the call invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    return next;
  } catch (err) {
    if ((err as LipError)?.code === 'LIP_ERR_EXTENSION_REJECTED') throw err;
    const stop = failures.failed(registered, err);
    if (stop) throw stop;
    return call;
  }
}

/**
 * A `tool` choice whose tool was filtered out becomes `auto`; with no tools left, `any` becomes
 * `auto`; allowed tools that were filtered out leave the list, and a list left empty goes as a
 * filtered `tool` does (`auto`).
 */
export function reconcileToolChoice(call: Call): Call {
  const choice = call.toolChoice;
  if (choice.type === 'tool' && !call.tools.some((t) => t.name === choice.name)) return { ...call, toolChoice: { type: 'auto' } };
  if ((choice.type === 'auto' || choice.type === 'any') && choice.allowed !== undefined) {
    const allowed = choice.allowed.filter((name) => call.tools.some((t) => t.name === name));
    if (allowed.length === 0) return { ...call, toolChoice: { type: 'auto' } };
    if (allowed.length < choice.allowed.length) return { ...call, toolChoice: { ...choice, allowed } };
  }
  if (choice.type === 'any' && call.tools.length === 0) return { ...call, toolChoice: { type: 'auto' } };
  return call;
}
