import type { BackendKind } from '../backend.js';
import { localstubProperties } from './options.js';
import { createLocalstub } from './source.js';

/** localstub: the no-key, no-network test and benchmark instrument (CONTRACT section 6). */
export const localstubKind: BackendKind = {
  kind: 'localstub',
  properties: localstubProperties,
  defaultModel: 'stub-default',
  embeds: true,
  create: createLocalstub,
};
