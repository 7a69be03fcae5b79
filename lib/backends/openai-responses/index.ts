export { openaiResponsesKind } from './kind.js';
export { openaiResponsesBackend, responsesProtocol, responsesHeaders, OPENAI_RESPONSES_DEFAULTS } from './source.js';
export { encodeResponsesRequest } from './encode-request.js';
export { ResponsesStreamDecoder, responsesUsage } from './decode-stream.js';
export { ResponsesResponseDecoder } from './decode-response.js';
export { mapResponsesFinish } from './map-finish-reason.js';
export { classifyResponsesStatus, responsesStreamError } from './classify-error.js';
export { openaiResponsesProperties, responsesOptions, type ResponsesOptions } from './options.js';
export { SEARCH_SOURCES_INCLUDE } from './web-search-call.js';
