import type { BackendKindInfo } from '../config/types.js';
import type { BackendKind } from './backend.js';
import { localstubKind } from './localstub/index.js';

/**
 * Backend kinds by name. OpenAI-compatible vendors are presets (rows of a table), not code.
 */
export const BACKEND_KINDS: Readonly<Record<string, BackendKind>> = Object.freeze({
  [localstubKind.kind]: localstubKind,
});

/** What the config loader needs from the registry: each kind's row schema. */
export const BACKEND_KIND_INFO: Readonly<Record<string, BackendKindInfo>> = Object.freeze(
  Object.fromEntries(Object.values(BACKEND_KINDS).map((k) => [k.kind, { properties: k.properties, ...(k.defaultModel ? { defaultModel: k.defaultModel } : {}) }])),
);
