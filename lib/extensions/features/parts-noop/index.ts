export { partsNoop, type PartsNoopConfig } from './parts-noop.js';
