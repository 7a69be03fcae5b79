import type { BackendKindInfo } from '../config/types.js';
import type { BackendFactory, BackendKind } from './backend.js';
import { acpKind } from './acp/index.js';
import { anthropicBackend, anthropicKind } from './anthropic/index.js';
import { bedrockKind } from './bedrock/kind.js';
import { geminiBackend, geminiKind } from './gemini/index.js';
import { localstubKind } from './localstub/index.js';
import { openaiChatBackend, openaiChatKind } from './openai-chat/index.js';
import { openaiCodexKind } from './openai-codex/kind.js';
import { openaiResponsesBackend, openaiResponsesKind } from './openai-responses/index.js';
import { PRESETS, presetKind } from './presets/index.js';

/** The protocol kinds presets build on, with their factories. */
const PROTOCOLS: Readonly<Record<string, { kind: BackendKind; factory: BackendFactory }>> = {
  [openaiChatKind.kind]: { kind: openaiChatKind, factory: openaiChatBackend },
  [openaiResponsesKind.kind]: { kind: openaiResponsesKind, factory: openaiResponsesBackend },
  [anthropicKind.kind]: { kind: anthropicKind, factory: anthropicBackend },
  [geminiKind.kind]: { kind: geminiKind, factory: geminiBackend },
};

/**
 * Backend kinds by name. OpenAI-compatible vendors are presets (rows of a table), not code.
 */
export const BACKEND_KINDS: Readonly<Record<string, BackendKind>> = Object.freeze(Object.fromEntries([
  localstubKind,
  acpKind,
  bedrockKind,
  openaiCodexKind,
  ...Object.values(PROTOCOLS).map((p) => p.kind),
  ...PRESETS.map((p) => presetKind(p, PROTOCOLS[p.base]!.kind, PROTOCOLS[p.base]!.factory)),
].map((k) => [k.kind, k])));

/** What the config loader needs from the registry: each kind's row schema. */
export const BACKEND_KIND_INFO: Readonly<Record<string, BackendKindInfo>> = Object.freeze(
  Object.fromEntries(Object.values(BACKEND_KINDS).map((k) => [k.kind, {
    properties: k.properties, ...(k.defaultModel ? { defaultModel: k.defaultModel } : {}), ...(k.required ? { required: k.required } : {}),
    ...(k.checkRow ? { checkRow: k.checkRow } : {}), ...(k.local ? { local: true } : {}), ...(k.keyEnv ? { keyEnv: k.keyEnv } : {}),
    ...(k.credentialProblem ? { credentialProblem: k.credentialProblem } : {}), ...(k.identity ? { identity: k.identity } : {}),
    ...(k.prefill ? { prefill: true } : {}),
  }])),
);
