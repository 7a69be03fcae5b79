import type { BackendKind } from '../backend.js';
import { anthropicProperties, checkAnthropicRow } from './options.js';
import { ANTHROPIC_DEFAULTS, anthropicBackend } from './source.js';

/** anthropic: the Anthropic Messages API (and compatible endpoints through `custom-anthropic`). */
export const anthropicKind: BackendKind = {
  kind: 'anthropic',
  properties: anthropicProperties,
  checkRow: checkAnthropicRow,
  identity: {},
  prefill: true,
  catalogProvider: 'anthropic',
  defaultModel: ANTHROPIC_DEFAULTS.models[0]!,
  keyEnv: ANTHROPIC_DEFAULTS.keyEnv!,
  create: (row, deps) => anthropicBackend(row, deps, ANTHROPIC_DEFAULTS),
};
