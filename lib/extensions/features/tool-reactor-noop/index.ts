export { toolReactorNoop, type ToolReactorNoopConfig } from './tool-reactor-noop.js';
