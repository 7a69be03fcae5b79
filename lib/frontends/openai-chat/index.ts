export { openaiChatFrontend } from './frontend.js';
export { decodeChatRequest } from './decode-request.js';
export { ChatStreamEncoder } from './encode-stream.js';
export { encodeChatResponse } from './encode-response.js';
export { encodeChatError } from './encode-error.js';
