export { openaiResponsesFrontend } from './frontend.js';
export { decodeResponsesRequest, type ResponsesHints } from './decode-request.js';
export { ResponsesStreamEncoder } from './encode-stream.js';
export { encodeResponsesResponse } from './encode-response.js';
export { encodeInputItems } from './encode-input-items.js';
export { responsesStoredRoutes } from './stored-response.js';
export { encodeResponsesError } from './encode-error.js';
export { openaiModelList } from './model-list.js';
