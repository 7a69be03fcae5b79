export { geminiFrontend } from './frontend.js';
export { decodeGenerateContent } from './decode-request.js';
export { GeminiStreamEncoder } from './encode-stream.js';
export { encodeGenerateContentResponse } from './encode-response.js';
export { encodeGeminiError, rpcStatus } from './encode-error.js';
export { geminiUsage } from './encode-usage.js';
export { geminiModelList } from './model-list.js';
