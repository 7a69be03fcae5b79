import type { Call, Message, Part } from '../../../canonical/index.js';
import { DEFAULT_CODEX_INSTRUCTIONS } from '../../../backends/openai-codex/encode-request.js';
import type { FeatureFactory } from '../../sdk.js';
import { HARNESSES, HERMES, OPENCODE, type Harness } from './harnesses.js';

/** `features: [{ id: codex-client-compat, config: { order? } }]` */
export interface CodexClientCompatConfig {
  readonly order: number;
}

/** The backend kind this feature adapts attempts for. */
export const CODEX_KIND = 'openai-codex';

/** Where a client names itself: its User-Agent, and these metadata entries. */
const AGENT_METADATA = ['agent', 'user_agent', 'openai_codex.agent'];

const textOf = (message: Message): string => message.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('\n');

/** Every instruction and message text of a call, one per line. */
function promptText(call: Call): string {
  return [...call.system.map((p) => p.text), ...call.messages.map(textOf)].filter((t) => t.trim() !== '').join('\n');
}

/** Whether the history holds tool calls or tool results (a harness that stopped sending tools). */
function hasToolTranscript(call: Call): boolean {
  return call.messages.some((m) => m.parts.some((p) => p.type === 'tool_call' || p.type === 'tool_result'));
}

/**
 * The harness a call comes from: a User-Agent or metadata match of any harness first, then a
 * prompt match; with neither, OpenCode when the call has no tools but its history has tool
 * calls or results (OpenCode drops the tools on some turns).
 */
export function detectHarness(call: Call, agents: readonly string[]): Harness | undefined {
  const named = agents.filter((a) => a.trim() !== '');
  const byAgent = HARNESSES.find((h) => named.some((a) => h.matchesAgent(a)));
  if (byAgent) return byAgent;
  const prompt = promptText(call);
  const byPrompt = HARNESSES.find((h) => h.matchesPrompt(prompt));
  if (byPrompt) return byPrompt;
  return call.tools.length === 0 && hasToolTranscript(call) ? OPENCODE : undefined;
}

/** Tool results whose call is nowhere earlier in the history, as system messages in their place (OpenCode). */
function orphanedResultsToText(messages: readonly Message[]): Message[] {
  const calls = new Set<string>();
  const out: Message[] = [];
  for (const message of messages) {
    if (message.role === 'assistant') for (const p of message.parts) if (p.type === 'tool_call') calls.add(p.id);
    if (message.role !== 'tool') {
      out.push(message);
      continue;
    }
    let kept: Part[] = [];
    for (const part of message.parts) {
      if (part.type !== 'tool_result' || calls.has(part.callId)) {
        kept.push(part);
        continue;
      }
      if (kept.length > 0) out.push({ ...message, parts: kept });
      kept = [];
      const content = typeof part.content === 'string' ? part.content : part.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
      out.push({ role: 'system', parts: [{ type: 'text', text: `Output of an earlier tool call (${part.callId}):\n${content}` }] });
    }
    if (kept.length > 0) out.push({ ...message, parts: kept });
  }
  return out;
}

/**
 * Adapts one attempt's call for the Codex endpoint when it comes from a known harness:
 * temperature, top_p and max_output_tokens are dropped (the endpoint refuses them), the
 * harness's own system boilerplate is dropped, OpenCode's orphaned tool results become text,
 * Hermes's tools go non-strict (and may run in parallel). Then, when the call has tools (or is
 * OpenCode's), the bridge block is appended to the instructions (the Codex persona first when
 * there are none) and put first as a system message; neither is added twice.
 *
 * @see spec/extensions/features/codex-client-compat/codex-client-compat.spec.ts
 */
export function applyCodexCompat(call: Call, agents: readonly string[]): Call {
  const harness = detectHarness(call, agents);
  if (!harness) return call;
  const { temperature: _t, topP: _p, maxOutputTokens: _m, ...options } = call.options;
  let messages = call.messages.filter((m) => m.role !== 'system' || !harness.isHarnessText(textOf(m)));
  let system = call.system.filter((p) => !harness.isHarnessText(p.text));
  if (harness === OPENCODE) messages = orphanedResultsToText(messages);
  let tools = call.tools;
  if (harness === HERMES) {
    tools = tools.map((t) => ({ ...t, strict: false }));
    if (options.parallelToolCalls === undefined && tools.length > 0) options.parallelToolCalls = true;
  }
  const out: Call = { ...call, options, messages, system, tools };
  if (tools.length === 0 && harness !== OPENCODE) return out;
  const bridge = harness.bridge(out);
  if (!system.some((p) => p.text.includes(harness.marker))) {
    system = system.length > 0 ? [...system, { type: 'text', text: bridge }] : [{ type: 'text', text: DEFAULT_CODEX_INSTRUCTIONS }, { type: 'text', text: bridge }];
  }
  if (!messages.some((m) => textOf(m).includes(harness.marker))) messages = [{ role: 'system', parts: [{ type: 'text', text: bridge }] }, ...messages];
  return { ...out, system, messages };
}

/**
 * Codex client compatibility: a request-part hook that, for attempts on an `openai-codex`
 * backend only, recognises the coding-agent harness behind the request (OpenCode, Pi, Factory
 * Droid, Hermes Agent) and bridges the Codex model to it (applyCodexCompat). Every other
 * attempt is left alone. Fail-open: a failure leaves the attempt's call as it was.
 * @see docs/features.md
 */
export const codexClientCompat: FeatureFactory<CodexClientCompatConfig> = {
  id: 'codex-client-compat',
  description: 'For openai-codex attempts: detects OpenCode, Pi, Factory Droid and Hermes Agent and adds a bridge instruction block.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: { order: { type: 'integer', minimum: 0, default: 50 } },
  },
  create(config) {
    return {
      requestParts: [{
        id: 'codex-client-compat', order: config.order, failureMode: 'fail_open',
        reads: { userAgent: true, metadata: AGENT_METADATA },
        shape: (call, target, ctx) => {
          if (target.backendKind !== CODEX_KIND) return call;
          const agents = [ctx.userAgent ?? '', ...AGENT_METADATA.map((key) => call.metadata[key] ?? '')];
          return applyCodexCompat(call, agents);
        },
      }],
    };
  },
};
