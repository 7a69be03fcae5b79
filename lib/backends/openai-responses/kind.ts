import type { BackendKind } from '../backend.js';
import { checkResponsesRow, openaiResponsesProperties } from './options.js';
import { OPENAI_RESPONSES_DEFAULTS, openaiResponsesBackend } from './source.js';

/** openai-responses: the OpenAI Responses API, stateless (`store: false`, encrypted reasoning). */
export const openaiResponsesKind: BackendKind = {
  kind: 'openai-responses',
  embeds: true,
  properties: openaiResponsesProperties,
  checkRow: checkResponsesRow,
  identity: {},
  catalogProvider: 'openai',
  defaultModel: OPENAI_RESPONSES_DEFAULTS.models[0]!,
  keyEnv: OPENAI_RESPONSES_DEFAULTS.keyEnv!,
  create: (row, deps) => openaiResponsesBackend(row, deps, OPENAI_RESPONSES_DEFAULTS),
};
