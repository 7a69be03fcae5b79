import type { BackendKind } from '../backend.js';
import { localstubProperties } from './options.js';
import { createLocalstub } from './source.js';

export { LocalstubBackend, localstubChannel, type LocalstubLifecycle } from './source.js';
export { localstubOptions, type LocalstubOptions } from './options.js';

export const localstubKind: BackendKind = {
  kind: 'localstub',
  properties: localstubProperties,
  defaultModel: 'stub-default',
  create: createLocalstub,
};
