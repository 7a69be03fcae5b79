export * from './types.js';
export { openaiChatClient } from './openai-chat.js';
export { openaiResponsesClient } from './openai-responses.js';
export { anthropicClient } from './anthropic.js';
export { geminiClient } from './gemini.js';
export { CLIENT_DRIVERS } from './drivers.js';
