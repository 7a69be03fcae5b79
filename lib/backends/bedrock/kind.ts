import type { BackendKind } from '../backend.js';
import { bedrockProperties, checkBedrockRow } from './options.js';
import { BEDROCK_DEFAULTS, bedrockBackend } from './source.js';

/** bedrock: Amazon Bedrock Converse / ConverseStream, signed with SigV4 (or a Bedrock API key). */
export const bedrockKind: BackendKind = {
  kind: 'bedrock',
  embeds: true,
  properties: bedrockProperties,
  identity: {},
  prefill: true,
  catalogProvider: 'amazon-bedrock',
  defaultModel: BEDROCK_DEFAULTS.models[0]!,
  checkRow: checkBedrockRow,
  create: (row, deps) => bedrockBackend(row, deps, BEDROCK_DEFAULTS),
};
