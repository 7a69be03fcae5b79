import { anthropicClient } from './anthropic.js';
import { geminiClient } from './gemini.js';
import { openaiChatClient } from './openai-chat.js';
import { openaiResponsesClient } from './openai-responses.js';
import type { ClientDriver } from './types.js';

/** One driver per frontend, by frontend id. */
export const CLIENT_DRIVERS: Readonly<Record<string, ClientDriver>> = {
  'openai-chat': openaiChatClient,
  'openai-responses': openaiResponsesClient,
  anthropic: anthropicClient,
  gemini: geminiClient,
};
