import { COMPACTION_INSTRUCTION, COMPACTION_PREAMBLE } from '../../../canonical/index.js';

/**
 * How the coding agents lip serves ask a model to compact their conversation, and what their
 * conversations look like after one: the signatures of compaction-continuity, one row per agent
 * family and version of its prompt. A start rule matches the request that asks for the summary
 * (the whole conversation before the compaction is in it); a post marker matches a conversation
 * that already was compacted (its summary stands at the start). Markers are lowercase; the text
 * they are matched against is folded once per request.
 *
 * A changed prompt is one row here and one spec fixture (spec/extensions/features/compaction-continuity/).
 */
export interface StartRule {
  readonly id: string;
  /** Every marker must occur (lowercase). */
  readonly all: readonly string[];
  /** At least one of these must occur too, when given. */
  readonly any?: readonly string[];
  /** The request must offer no tools (the conversation it quotes may hold tool calls). */
  readonly noTools?: boolean;
}

export interface PostMarker {
  readonly id: string;
  readonly all: readonly string[];
}

/** lip's own `/responses/compact` instruction, matched exactly (not by signature). */
export const LIP_COMPACT_INSTRUCTION = COMPACTION_INSTRUCTION;

export const START_RULES: readonly StartRule[] = [
  // Codex CLI's local compaction ("You are performing a CONTEXT CHECKPOINT COMPACTION...").
  { id: 'codex.checkpoint.v1', all: ['context checkpoint compaction'] },
  // Claude Code's /compact and auto-compact: a request for a text-only summary, without tools
  // (older versions), or with the conversation's tools offered (for its prompt cache) and
  // forbidden in the prompt.
  { id: 'claude-code.compact.v1', all: ['text only', 'summary of the conversation'], noTools: true },
  { id: 'claude-code.compact.v2', all: ['text only', 'compaction', 'conversation'], noTools: true },
  { id: 'claude-code.compact.v3', all: ['text only', 'do not call any tools', 'summary of the conversation'] },
  // Pi and OpenClaw (one prompt): the conversation quoted in <conversation>, summarised as a checkpoint.
  { id: 'pi.summary.v1', all: ['<conversation>', 'summar', 'checkpoint'] },
  // Cline's agentic compaction into a continuation note.
  { id: 'cline.continuation-note.v1', all: ['continuation-note', 'summar'] },
  // OpenCode: the anchored summary (Objective / Work state) and a custom compaction prompt.
  { id: 'opencode.anchored-summary.v1', all: ['<conversation>', 'summar', 'objective', 'work state'] },
  { id: 'opencode.history.v1', all: ['the following is the conversation history:'] },
  // Kilo Code's anchored summary.
  { id: 'kilocode.anchored-summary.v1', all: ['objective', 'important details', 'work state', 'next move', 'relevant files'] },
  // Gemini CLI's compression into a <state_snapshot>.
  { id: 'gemini-cli.state-snapshot.v1', all: ['state snapshot'], any: ['generate', 'verify'] },
  { id: 'gemini-cli.state-snapshot.v2', all: ['<state_snapshot>'], any: ['generate', 'verify'] },
  // Roo Code's condense.
  { id: 'roo-code.condense.v1', all: ['condense', 'summar', 'conversation'] },
  // Aider's chat summary (the history quoted as "# USER" / "# ASSISTANT").
  { id: 'aider.chat-summary.v1', all: ['# user', '# assistant', 'summar'] },
  // Crush's session summary.
  { id: 'crush.session-summary.v1', all: ['session summary', 'preserve', 'context'] },
];

export const POST_MARKERS: readonly PostMarker[] = [
  // lip's own: a compacted Responses conversation, or a provider's compaction on another provider's backend.
  { id: 'lip.compaction-summary.v1', all: [COMPACTION_PREAMBLE.toLowerCase()] },
  { id: 'cline.compacted.v1', all: ['<system_notice>', 'earlier context was compacted'] },
  { id: 'hermes.reference-only.v1', all: ['[context compaction \u2014 reference only]'] },
  { id: 'hermes.context-summary.v1', all: ['[context summary]:'] },
];
