export { geminiKind } from './kind.js';
export { geminiBackend, geminiProtocol, geminiHeaders, parseGeminiModelList, GEMINI_DEFAULTS } from './source.js';
export { encodeGeminiRequest } from './encode-request.js';
export { encodeContents } from './encode-contents.js';
export { GeminiStreamDecoder, geminiUsage } from './decode-stream.js';
export { GeminiResponseDecoder } from './decode-response.js';
export { mapGeminiFinishReason } from './map-finish-reason.js';
export { classifyGeminiStatus, geminiKeyRejected, geminiStreamError, retryDelayOf } from './classify-error.js';
export { geminiProperties, geminiOptions, modelUrl, modelResource, type GeminiOptions } from './options.js';
