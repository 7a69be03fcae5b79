export { anthropicFrontend } from './frontend.js';
export { decodeMessagesRequest } from './decode-request.js';
export { AnthropicStreamEncoder } from './encode-stream.js';
export { encodeMessagesResponse } from './encode-response.js';
export { encodeAnthropicError } from './encode-error.js';
export { anthropicUsage } from './encode-usage.js';
export { anthropicModelList } from './model-list.js';
