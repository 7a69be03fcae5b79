import type { BackendKind } from '../backend.js';
import { acpProperties, checkAcpRow } from './options.js';
import { createAcp } from './source.js';

/**
 * acp: a coding agent behind the Agent Client Protocol, as a process over stdio or a server
 * over HTTP. Local: it runs programs on this machine, so multi_user mode refuses it.
 */
export const acpKind: BackendKind = {
  kind: 'acp',
  properties: acpProperties,
  defaultModel: 'agent',
  local: true,
  checkRow: checkAcpRow,
  create: createAcp,
};
