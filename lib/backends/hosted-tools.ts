import type { Call, HostedToolPart, Message, Part } from '../canonical/index.js';
import { compactionSummaryMessage, hostedKnobs } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * For every backend: a call that declares a hosted tool (kind `hosted`) of another provider than
 * this backend's (`dialect`, HOSTED_DIALECTS; none: the backend runs no hosted tool), or sets a
 * request knob that has another provider run something (hostedKnobs: an Anthropic client's
 * `mcp_servers`), is refused before anything is sent, retryable, so that a route moves on to a
 * backend of that provider; the tool is never offered as a function the model would call and
 * nobody would run, and the knob is never silently dropped (the model would lack those tools).
 * An `optional` hosted tool (it only saves work, as OpenAI's hosted tool search does) is not
 * refused: forHostedDialect leaves it out. A history compacted by another provider whose summary
 * only that provider can read (HostedToolPart.compaction without a summary) is refused too.
 * `runs`: the hosted capabilities of no tool dialect the backend sends (HOSTED_KNOB_DIALECTS: a
 * blocking OpenAI moderation on a row that sends OpenAI's knobs).
 */
export function refuseHostedTools(call: Call, backend: string, dialect?: string, runs: readonly string[] = []): void {
  const foreign = call.tools.filter((t) => t.kind === 'hosted' && t.optional !== true && t.providerTool?.dialect !== dialect);
  const knobs = hostedKnobs(call.providerOptions).filter((k) => k.dialect !== dialect && !runs.includes(k.dialect)).map((k) => k.field);
  refuseSealedCompaction(call.messages, backend, dialect);
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
 * A history compacted by another provider than this backend's whose record has no readable
 * summary (only an encrypted payload, or tool changes the summary does not state) is refused
 * before sending, retryable, so that a route moves on to a backend of that provider.
 */
function refuseSealedCompaction(messages: readonly Message[], backend: string, dialect?: string): void {
  const at = lastCompaction(messages, dialect);
  if (at === undefined || at.part.compaction?.summary !== undefined) return;
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot read the history's compaction block: it holds the earlier turns only in a form the provider that compacted them reads (no readable summary); route such requests to a backend of that provider (see docs/hosted-tools.md)`, {
    retryable: true, detail: { backend, fields: ['compaction'] },
  });
}

/** The last hosted part of another dialect that stands for the conversation before it (HostedToolPart.compaction), with its place. */
function lastCompaction(messages: readonly Message[], dialect?: string): { message: number; index: number; part: HostedToolPart } | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const parts = messages[i]!.parts;
    for (let j = parts.length - 1; j >= 0; j--) {
      const p = parts[j]!;
      if (p.type === 'hosted_tool' && p.compaction !== undefined && p.dialect !== dialect) return { message: i, index: j, part: p };
    }
  }
  return undefined;
}

/**
 * The messages of a history compacted by another provider (its last HostedToolPart with
 * `compaction`) as a backend of another dialect reads them: the summary as a user message at the
 * conversation's start, in place of everything before the record (it stands for those turns), then
 * the rest of the record's message and the messages after it. The same messages when there is no
 * such record (refuseHostedTools refused one without a summary).
 *
 * ```
 * [user "fix add()"] [assistant (compaction "The user wants add() fixed.") "On it."] [user "Go ahead."]
 * -> [user "Summary of the conversation so far (...):\n\nThe user wants add() fixed."] [assistant "On it."] [user "Go ahead."]
 * ```
 */
export function readCompaction(messages: readonly Message[], dialect?: string): readonly Message[] {
  const at = lastCompaction(messages, dialect);
  const summary = at?.part.compaction?.summary;
  if (at === undefined || summary === undefined) return messages;
  const rest = messages[at.message]!.parts.slice(at.index + 1);
  return [compactionSummaryMessage(summary), ...(rest.length > 0 ? [{ ...messages[at.message]!, parts: rest }] : []), ...messages.slice(at.message + 1)];
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
 * `call` fit for a backend of `dialect` (none: a backend without hosted tools) that also runs the
 * hosted capabilities `runs` (HOSTED_KNOB_DIALECTS): refused when it
 * declares another's hosted tool or sets a hosted knob the backend does not run, another's optional hosted tools (and a tool choice of one) left
 * out, a history another provider compacted read from its summary (readCompaction), foreign
 * hosted parts left out.
 */
export function forHostedDialect(call: Call, backend: string, dialect?: string, runs: readonly string[] = []): Call {
  refuseHostedTools(call, backend, dialect, runs);
  const messages = ownHostedParts(readCompaction(call.messages, dialect), dialect);
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
