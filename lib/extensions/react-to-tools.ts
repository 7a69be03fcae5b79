import { Observable } from 'rxjs/internal/Observable';
import { defer } from 'rxjs/internal/observable/defer';
import { EMPTY } from 'rxjs/internal/observable/empty';
import { concatWith } from 'rxjs/internal/operators/concatWith';
import { filter } from 'rxjs/internal/operators/filter';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { SequenceValidator, type LipEvent } from '../canonical/index.js';
import { HeldOutput } from '../wire/held-output.js';
import { rejection, synchronous, type HookFailures } from './hook-failures.js';
import type { Registered } from './hook-set.js';
import type { FinishedToolCall, StreamContext, ToolFinalizer, ToolPolicy, ToolReaction, ToolReactor } from './sdk.js';

export interface ToolStageHooks {
  readonly finalizers?: readonly Registered<ToolFinalizer>[];
  readonly policies: readonly Registered<ToolPolicy>[];
  readonly reactors: readonly Registered<ToolReactor>[];
}

type HeldTool = { call: FinishedToolCall & { args: string }; finished: boolean; readonly originals: LipEvent[] };
type Held = { readonly event: LipEvent } | { readonly tool: HeldTool };

/**
 * `tool_event_reaction`: each tool call is held from `tool_call_started` to
 * `tool_call_finished` (and everything after its start with it, to keep the order), then the
 * finalizers may rewrite it (tool-call repair: the policies and reactors see the repaired call),
 * then the policies decide (`deny` fails the attempt with `LIP_ERR_EXTENSION_REJECTED`), then each
 * reactor may `pass`, `rewrite` its name or arguments, `swallow` it, or `replace` it with
 * content events. Holding a tool call moves the commit point to its end. When every tool call
 * of a `tool_calls` finish was swallowed or replaced, the finish reason becomes `stop`.
 * What is held at once is bounded (HeldOutput: past collect()'s limits of text, reasoning or
 * tool arguments, the attempt fails with LIP_ERR_RESPONSE_TOO_LARGE), so a tool call whose
 * arguments never end is not held forever.
 *
 * ```
 * source: -s-m-c-d-x-f-|      c/d/x: started, delta, finished of tool call "secret"
 * result: -s-m-----(r)-f-|    reactor: replace with text r
 * ```
 * @see spec/extensions/react-to-tools.spec.ts
 */
export function reactToTools(hooks: ToolStageHooks, ctx: (feature: string) => StreamContext, failures: HookFailures): MonoTypeOperatorFunction<LipEvent> {
  return (source) => new Observable<LipEvent>((subscriber) => {
    let held: Held[] = [];
    const heldChars = new HeldOutput();
    const open = new Map<string, HeldTool>();
    let emittedTools = 0;
    let reactedAway = 0;

    const release = () => {
      const items = held;
      held = [];
      heldChars.clear();
      for (const item of items) {
        if (subscriber.closed) return;
        if ('event' in item) {
          subscriber.next(item.event);
          continue;
        }
        for (const e of react(item.tool.call, item.tool.originals)) {
          if (e.type === 'tool_call_started') emittedTools++;
          subscriber.next(e);
        }
      }
    };

    const react = (received: FinishedToolCall, originals: readonly LipEvent[]): readonly LipEvent[] => {
      let call = received;
      for (const registered of hooks.finalizers ?? []) {
        let reaction: ToolReaction;
        try {
          reaction = synchronous(registered.hook.react(call, ctx(registered.feature)));
          const problem = reaction?.action === 'pass' || reaction?.action === 'rewrite' ? checkReaction(reaction) : `a tool finalizer passes or rewrites (got ${JSON.stringify((reaction as { action?: unknown })?.action)})`;
          if (problem) throw new TypeError(problem);
        } catch (err) {
          const stop = failures.failed(registered, err);
          if (stop) throw stop;
          continue;
        }
        if (reaction.action === 'rewrite') call = rewritten(call, reaction);
      }
      for (const registered of hooks.policies) {
        let answer: 'allow' | 'deny';
        try {
          answer = synchronous(registered.hook.decide(call, ctx(registered.feature)));
          if (answer !== 'allow' && answer !== 'deny') throw new TypeError(`a tool policy answers allow or deny (got ${String(answer)})`);
        } catch (err) {
          const stop = failures.failed(registered, err);
          if (stop) throw stop;
          continue;
        }
        if (answer === 'deny') throw rejection(registered, `tool call "${call.name}" denied`);
      }
      let current = call;
      for (const registered of hooks.reactors) {
        let reaction: ToolReaction;
        try {
          reaction = synchronous(registered.hook.react(current, ctx(registered.feature)));
          const problem = checkReaction(reaction);
          if (problem) throw new TypeError(problem);
        } catch (err) {
          const stop = failures.failed(registered, err);
          if (stop) throw stop;
          continue;
        }
        if (reaction.action === 'swallow') { reactedAway++; return []; }
        if (reaction.action === 'replace') { reactedAway++; return reaction.events; }
        if (reaction.action === 'rewrite') current = rewritten(current, reaction);
      }
      // A call no finalizer or reactor changed leaves exactly as it came (its own deltas).
      return current === received ? originals : toolEvents(current);
    };

    // filter + concatWith (like holdUntilOutput): the source stays chained to the subscriber, so a
    // synchronous source stops as soon as the subscriber is closed.
    return source.pipe(
      filter((event) => {
        if (event.type === 'tool_call_started') {
          const call = {
            id: event.id, name: event.name, args: '',
            ...(event.signature !== undefined ? { signature: event.signature } : {}), ...(event.dialect !== undefined ? { dialect: event.dialect } : {}), ...(event.custom === true ? { custom: true } : {}),
            ...(event.caller !== undefined ? { caller: event.caller } : {}), ...(event.namespace !== undefined ? { namespace: event.namespace } : {}),
            ...(event.providerFields !== undefined ? { providerFields: event.providerFields } : {}),
            ...(event.toolset !== undefined ? { toolset: event.toolset } : {}),
          };
          const tool: HeldTool = { call, finished: false, originals: [event] };
          open.set(event.id, tool);
          held.push({ tool });
          return false;
        }
        if (event.type === 'tool_call_delta' && open.has(event.id)) {
          const tool = open.get(event.id)!;
          heldChars.add('args', event.args.length);
          tool.call.args += event.args;
          tool.originals.push(event);
          return false;
        }
        if (event.type === 'tool_call_finished' && open.has(event.id)) {
          const tool = open.get(event.id)!;
          tool.finished = true;
          tool.originals.push(event);
          open.delete(event.id);
          if (open.size === 0) release();
          return false;
        }
        if (event.type === 'response_finished' && event.reason === 'tool_calls' && emittedTools === 0 && reactedAway > 0 && open.size === 0) {
          subscriber.next({ ...event, reason: 'stop' });
          return false;
        }
        if (held.length === 0) return true;
        if (event.type === 'text_delta') heldChars.add('text', event.text.length);
        else if (event.type === 'reasoning_delta') heldChars.add('reasoning', event.text.length);
        held.push({ event });
        return false;
      }),
      concatWith(defer(() => {
        release();
        return EMPTY;
      })),
    ).subscribe(subscriber);
  });
}

function rewritten(call: FinishedToolCall, reaction: { readonly name?: string; readonly args?: string }): FinishedToolCall {
  return { ...call, ...(reaction.name !== undefined ? { name: reaction.name } : {}), ...(reaction.args !== undefined ? { args: reaction.args } : {}) };
}

function toolEvents(call: FinishedToolCall): LipEvent[] {
  return [
    {
      type: 'tool_call_started', id: call.id, name: call.name,
      ...(call.signature !== undefined ? { signature: call.signature } : {}), ...(call.dialect !== undefined ? { dialect: call.dialect } : {}), ...(call.custom === true ? { custom: true } : {}),
      // a rewritten programmatic call still answers the code that made it
      ...(call.caller !== undefined ? { caller: call.caller } : {}),
      // and a rewritten call of a namespaced tool still names its namespace, of a toolset's member its toolset
      ...(call.namespace !== undefined ? { namespace: call.namespace } : {}),
      // and a rewritten computer call still holds the safety checks the client must acknowledge
      ...(call.providerFields !== undefined ? { providerFields: call.providerFields } : {}),
      ...(call.toolset !== undefined ? { toolset: call.toolset } : {}),
    },
    ...(call.args ? [{ type: 'tool_call_delta' as const, id: call.id, args: call.args }] : []),
    { type: 'tool_call_finished', id: call.id },
  ];
}

const CONTENT_ONLY = new Set(['text_delta', 'reasoning_delta', 'reasoning_signature', 'reasoning_opaque', 'tool_call_started', 'tool_call_delta', 'tool_call_finished', 'usage', 'warning']);

/** Why a reaction is not acceptable, or undefined. Replacement events must be whole, balanced content. */
function checkReaction(reaction: ToolReaction): string | undefined {
  switch (reaction?.action) {
    case 'pass':
    case 'swallow':
      return undefined;
    case 'rewrite':
      if (reaction.name !== undefined && (typeof reaction.name !== 'string' || reaction.name === '')) return 'a rewritten tool name must be a non-empty string';
      if (reaction.args !== undefined && typeof reaction.args !== 'string') return 'rewritten tool arguments must be JSON text';
      return undefined;
    case 'replace': {
      if (!Array.isArray(reaction.events)) return 'replace needs a list of events';
      const validator = new SequenceValidator();
      validator.push({ type: 'response_started' });
      validator.push({ type: 'message_started' });
      for (const e of reaction.events) {
        if (!CONTENT_ONLY.has(e?.type)) return `a replacement may hold content events only (got ${String(e?.type)})`;
        const violation = validator.push(e);
        if (violation) return `the replacement is not canonical: ${violation}`;
      }
      return validator.push({ type: 'response_finished', reason: 'stop' });
    }
    default:
      return `unknown tool reaction ${JSON.stringify((reaction as { action?: unknown })?.action)}`;
  }
}
