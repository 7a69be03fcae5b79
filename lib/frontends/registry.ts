import type { Frontend, FrontendId } from './protocol.js';
import { anthropicFrontend } from './anthropic/index.js';
import { geminiFrontend } from './gemini/index.js';
import { openaiChatFrontend } from './openai-chat/index.js';
import { openaiResponsesFrontend } from './openai-responses/index.js';

/** Client protocols by id. The server mounts the enabled ones. */
export const FRONTENDS: Readonly<Record<FrontendId, Frontend>> = Object.freeze({
  'openai-responses': openaiResponsesFrontend,
  'openai-chat': openaiChatFrontend,
  anthropic: anthropicFrontend,
  gemini: geminiFrontend,
});

/** Every protocol id a config may name (some may not be built yet, see FRONTENDS). */
export const FRONTEND_IDS: readonly FrontendId[] = ['openai-responses', 'openai-chat', 'anthropic', 'gemini'];

/**
 * The paths every protocol mounts (templated routes up to their first `{`, model lists too),
 * which operator paths must not overlap.
 */
export const PROTOCOL_PATHS: readonly string[] = Object.freeze([...new Set(Object.values(FRONTENDS).flatMap((f) => [
  ...f.routes.map((r) => r.path.split('{')[0]!),
  ...(f.modelRoutes ?? []).map((r) => r.path.split('{')[0]!),
  ...(f.batchRoutes ? [f.batchRoutes.path, ...(f.batchRoutes.files ? [f.batchRoutes.files.path] : [])] : []),
]))]);
