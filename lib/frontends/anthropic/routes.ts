import type { GenerateRoute } from '../protocol.js';
import { betasOf, decodeMessagesRequest, refuseUserProfile } from './decode-request.js';
import { encodeMessagesResponse } from './encode-response.js';
import { AnthropicStreamEncoder } from './encode-stream.js';
import { resolveAnthropicFiles } from './files.js';

export const anthropicRoutes: readonly GenerateRoute[] = [
  {
    method: 'POST',
    path: '/v1/messages',
    // Content blocks naming a file of lip's Files API by id get its bytes inline.
    resolveReferences: resolveAnthropicFiles,
    decode: (body, context) => {
      refuseUserProfile(context.headers);
      return decodeMessagesRequest(body, betasOf(context.headers['anthropic-beta']));
    },
    streamEncoder: (context) => new AnthropicStreamEncoder(context),
    encodeResponse: encodeMessagesResponse,
  },
];
