import type { GenerateRoute } from '../protocol.js';
import { responsesCompactRoute } from './compact.js';
import { decodeResponsesRequest } from './decode-request.js';
import { encodeResponsesResponse } from './encode-response.js';
import { ResponsesStreamEncoder } from './encode-stream.js';
import { appendTurn } from './conversations.js';
import { resolveStoredInput } from './resolve-stored.js';
import { ResponseShell } from './response-object.js';
import { responsesBackground, responsesStoredRoutes } from './stored-response.js';
import { responsesWebSocket } from './websocket.js';

export const responsesRoutes: readonly GenerateRoute[] = [
  {
    method: 'POST',
    path: '/v1/responses',
    decode: (body) => decodeResponsesRequest(body),
    resolveReferences: resolveStoredInput,
    appendToConversation: appendTurn,
    streamEncoder: (context) => new ResponsesStreamEncoder(context),
    encodeResponse: encodeResponsesResponse,
    cancelledResponse: (context) => new ResponseShell(context).build({ status: 'cancelled', output: [] }),
    storedResponses: responsesStoredRoutes,
    background: responsesBackground,
    websocket: responsesWebSocket,
  },
  responsesCompactRoute,
];
