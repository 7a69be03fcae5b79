export * from './sse.js';
export * from './json-body.js';
export * from './json-position.js';
export * from './keepalive.js';
export * from './request-validator.js';
export * from './ids.js';
