import type { Call, Message, Part } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * For every backend: a call that declares a hosted tool (kind `hosted`) of another provider than
 * this backend's (`dialect`, HOSTED_DIALECTS; none: the backend runs no hosted tool) is refused
 * before anything is sent, retryable, so that a route moves on to a backend of that provider; the
 * tool is never offered as a function the model would call and nobody would run.
 */
export function refuseHostedTools(call: Call, backend: string, dialect?: string): void {
  const foreign = call.tools.filter((t) => t.kind === 'hosted' && t.providerTool?.dialect !== dialect);
  if (foreign.length === 0) return;
  const names = foreign.map((t) => `"${t.name}"`).join(', ');
  throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `${backend} cannot run the hosted tool${foreign.length > 1 ? 's' : ''} ${names}: a hosted tool runs only at the provider that defines it; route such requests to a backend of that provider (see docs/hosted-tools.md)`, {
    retryable: true, detail: { backend, tools: foreign.map((t) => t.name) },
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

/** `call` fit for a backend of `dialect` (none: a backend without hosted tools): refused when it declares another's hosted tool, foreign hosted parts left out. */
export function forHostedDialect(call: Call, backend: string, dialect?: string): Call {
  refuseHostedTools(call, backend, dialect);
  const messages = ownHostedParts(call.messages, dialect);
  return messages === call.messages ? call : { ...call, messages };
}
