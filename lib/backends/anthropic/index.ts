export { anthropicKind } from './kind.js';
export { anthropicBackend, anthropicProtocol, anthropicHeaders, parseAnthropicModelList, ANTHROPIC_DEFAULTS } from './source.js';
export { encodeAnthropicRequest } from './encode-request.js';
export { encodeMessages } from './encode-messages.js';
export { AnthropicStreamDecoder, anthropicUsage } from './decode-stream.js';
export { AnthropicResponseDecoder } from './decode-response.js';
export { mapAnthropicStopReason } from './map-finish-reason.js';
export { classifyAnthropicStatus, anthropicStreamError } from './classify-error.js';
export { anthropicProperties, anthropicOptions, type AnthropicOptions } from './options.js';
