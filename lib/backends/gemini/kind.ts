import type { BackendKind } from '../backend.js';
import { geminiProperties } from './options.js';
import { GEMINI_DEFAULTS, geminiBackend } from './source.js';

/** gemini: the Gemini API (generateContent, streamed as SSE). */
export const geminiKind: BackendKind = {
  kind: 'gemini',
  embeds: true,
  properties: geminiProperties,
  identity: {},
  catalogProvider: 'google',
  defaultModel: GEMINI_DEFAULTS.models[0]!,
  keyEnv: GEMINI_DEFAULTS.keyEnv!,
  create: (row, deps) => geminiBackend(row, deps, GEMINI_DEFAULTS),
};
