export { openaiChatKind } from './kind.js';
export { openaiChatBackend, OPENAI_CHAT_DEFAULTS, chatProtocol, chatHeaders, parseOpenAIModelList } from './source.js';
export { encodeChatRequest } from './encode-request.js';
export { ChatStreamDecoder, chatUsage, type ChatDecoderOptions } from './decode-stream.js';
export { ReasoningDetails, replayedDetails } from './reasoning-details.js';
export { ChatResponseDecoder } from './decode-response.js';
export { mapChatFinishReason } from './map-finish-reason.js';
export { classifyChatStatus, chatStreamError } from './classify-error.js';
export { openaiChatProperties, chatOptions, type ChatOptions, type ChatAuth } from './options.js';
