import type { Frontend, FrontendId } from './protocol.js';
import { openaiChatFrontend } from './openai-chat/index.js';

/** Client protocols by id. The server mounts the enabled ones. */
export const FRONTENDS: Readonly<Partial<Record<FrontendId, Frontend>>> = Object.freeze({
  'openai-chat': openaiChatFrontend,
});
