export * from './call.js';
export * from './events.js';
export * from './limits.js';
export * from './validate-call.js';
export * from './validate-sequence.js';
export * from './is-output-event.js';
export * from './usage.js';
export * from './collect.js';
