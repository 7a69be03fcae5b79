import type { Call, HostedToolPart, Message, Part } from '../canonical/index.js';
import { hostedKnobs, isHostedState } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * For every backend: a call that declares a hosted tool (kind `hosted`) of another provider than
 * this backend's (`dialect`, HOSTED_DIALECTS; none: the backend runs no hosted tool), or sets a
 * request knob that has another provider run something (hostedKnobs: an Anthropic client's
 * `mcp_servers`), is refused before anything is sent, retryable, so that a route moves on to a
 * backend of that provider; the tool is never offered as a function the model would call and
 * nobody would run, and the knob is never silently dropped (the model would lack those tools).
 * An `optional` hosted tool (it only saves work, as OpenAI's hosted tool search does) is not
 * refused: forHostedDialect leaves it out. A history holding another provider's conversation
 * state (refuseHostedState) is refused likewise.
 */
export function refuseHostedTools(call: Call, backend: string, dialect?: string): void {
  refuseHostedState(call, backend, dialect);
  const foreign = call.tools.filter((t) => t.kind === 'hosted' && t.optional !== true && t.providerTool?.dialect !== dialect);
  const knobs = hostedKnobs(call.providerOptions).filter((k) => k.dialect !== dialect).map((k) => k.field);
  if (foreign.length === 0 && knobs.length === 0) return;
  const names = foreign.map((t) => `"${t.name}"`).join(', ');
  const what = [
    ...(foreign.length > 0 ? [`the hosted tool${foreign.length > 1 ? 's' : ''} ${names}`] : []),
    ...(knobs.length > 0 ? [`the hosted ${knobs.join(', ')}`] : []),
  ].join(' or ');
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot run ${what}: a hosted tool runs only at the provider that defines it; route such requests to a backend of that provider (see docs/hosted-tools.md)`, {
    retryable: true, detail: { backend, tools: foreign.map((t) => t.name), ...(knobs.length > 0 ? { fields: knobs } : {}) },
  });
}

/**
 * For every backend: a call whose history holds state of another provider's that the
 * conversation depends on (isHostedState: OpenAI's compaction items, which stand for the turns
 * they replaced, and its compaction trigger) is refused before anything is sent, retryable,
 * naming the item and its place, so that a route moves on to a backend of that provider: leaving
 * it out as other hosted parts are would silently lose those turns.
 */
function refuseHostedState(call: Call, backend: string, dialect?: string): void {
  let held: { part: HostedToolPart; at: string }[] | undefined;
  for (let i = 0; i < call.messages.length; i++) {
    const parts = call.messages[i]!.parts;
    for (let j = 0; j < parts.length; j++) {
      const p = parts[j]!;
      if (p.type === 'hosted_tool' && p.dialect !== dialect && isHostedState(p)) (held ??= []).push({ part: p, at: `messages[${i}].parts[${j}]` });
    }
  }
  if (held === undefined) return;
  const items = held.map((h) => String(h.part.block.type));
  const what = held.map((h, k) => `the ${items[k]} item at ${h.at}`).join(', ');
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot carry ${what} (dialect "${held[0]!.part.dialect}"): ${held.length > 1 ? 'they hold' : 'it holds'} conversation state only the provider that wrote it can read; route such requests to a backend of that provider (see docs/hosted-tools.md)`, {
    retryable: true, detail: { backend, items },
  });
}

/**
 * The messages with every hosted tool part of another dialect left out (a provider cannot read
 * another's blocks; the text after them says what the tool did), and a message left empty by that
 * dropped. The same messages when there is none to leave out.
 */
export function ownHostedParts(messages: readonly Message[], dialect?: string): readonly Message[] {
  const foreign = (p: Part) => p.type === 'hosted_tool' && p.dialect !== dialect;
  if (!messages.some((m) => m.parts.some(foreign))) return messages;
  return messages.map((m) => (m.parts.some(foreign) ? { ...m, parts: m.parts.filter((p) => !foreign(p)) } : m)).filter((m) => m.parts.length > 0);
}

/**
 * `call` fit for a backend of `dialect` (none: a backend without hosted tools): refused when it
 * declares another's hosted tool, another's optional hosted tools (and a tool choice of one) left
 * out, foreign hosted parts left out.
 */
export function forHostedDialect(call: Call, backend: string, dialect?: string): Call {
  refuseHostedTools(call, backend, dialect);
  const messages = ownHostedParts(call.messages, dialect);
  const tools = withoutForeignOptional(call, dialect);
  if (messages === call.messages && tools === call.tools) return call;
  return { ...call, messages, tools, ...(tools === call.tools ? {} : { toolChoice: choiceWithout(call, tools) }) };
}

const foreignOptional = (dialect?: string) => (t: Call['tools'][number]) => t.kind === 'hosted' && t.optional === true && t.providerTool?.dialect !== dialect;

/** The call's tools less the optional hosted tools of another dialect; the same array when there is none. */
function withoutForeignOptional(call: Call, dialect?: string): Call['tools'] {
  const foreign = foreignOptional(dialect);
  return call.tools.some(foreign) ? call.tools.filter((t) => !foreign(t)) : call.tools;
}

/** The tool choice once some tools were left out: one that named a left-out tool falls back to auto; an allowed list loses them. */
function choiceWithout(call: Call, tools: Call['tools']): Call['toolChoice'] {
  const names = new Set(tools.map((t) => t.name));
  const choice = call.toolChoice;
  if (choice.type === 'tool') return names.has(choice.name) ? choice : { type: 'auto' };
  if ((choice.type === 'auto' || choice.type === 'any') && choice.allowed !== undefined) {
    const allowed = choice.allowed.filter((n) => names.has(n));
    if (allowed.length === choice.allowed.length) return choice;
    if (allowed.length > 0) return { type: choice.type, allowed };
    return { type: 'auto' };
  }
  return choice;
}
