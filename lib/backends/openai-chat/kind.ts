import type { BackendKind } from '../backend.js';
import { checkChatRow, openaiChatProperties } from './options.js';
import { OPENAI_CHAT_DEFAULTS, openaiChatBackend } from './source.js';

/** openai-chat: OpenAI Chat Completions, and every compatible server through presets. */
export const openaiChatKind: BackendKind = {
  kind: 'openai-chat',
  embeds: true,
  properties: openaiChatProperties,
  checkRow: checkChatRow,
  identity: {},
  catalogProvider: 'openai',
  defaultModel: OPENAI_CHAT_DEFAULTS.models[0]!,
  keyEnv: OPENAI_CHAT_DEFAULTS.keyEnv!,
  create: (row, deps) => openaiChatBackend(row, deps, OPENAI_CHAT_DEFAULTS),
};
