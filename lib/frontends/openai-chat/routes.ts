import { resolveChatFiles } from '../file-references.js';
import type { GenerateRoute } from '../protocol.js';
import { decodeChatRequest } from './decode-request.js';
import { ChatStreamEncoder } from './encode-stream.js';
import { encodeChatResponse } from './encode-response.js';
import { listStoredCompletion } from './stored-completions.js';

export const chatRoutes: readonly GenerateRoute[] = [
  {
    method: 'POST',
    path: '/v1/chat/completions',
    decode: (body) => decodeChatRequest(body),
    resolveReferences: resolveChatFiles,
    streamEncoder: (context) => new ChatStreamEncoder(context),
    encodeResponse: encodeChatResponse,
    listStored: listStoredCompletion,
  },
];
