import type { BackendKind } from '../backend.js';
import { checkLocalstubRow, localstubProperties } from './options.js';
import { createLocalstub } from './source.js';

/** localstub: the no-key, no-network test and benchmark instrument (CONTRACT section 6). */
export const localstubKind: BackendKind = {
  kind: 'localstub',
  properties: localstubProperties,
  checkRow: checkLocalstubRow,
  defaultModel: 'stub-default',
  embeds: true,
  create: createLocalstub,
};
