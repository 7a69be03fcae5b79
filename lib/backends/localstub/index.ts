export { localstubKind } from './kind.js';
export { LocalstubBackend, localstubChannel, type LocalstubLifecycle } from './source.js';
export { localstubOptions, type LocalstubOptions } from './options.js';
