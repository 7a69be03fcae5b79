import { LipError } from '../../errors/index.js';
import type { DecodedRequest, GenerateRoute } from '../protocol.js';
import { decodeResponsesRequest, type ResponsesHints } from './decode-request.js';
import { encodeResponsesResponse } from './encode-response.js';
import { ResponsesStreamEncoder } from './encode-stream.js';

/**
 * Until continuity stores responses, a request that continues one cannot be served: answer it
 * with a clear 400 instead of silently dropping the earlier conversation. The hint stays in
 * DecodedRequest.hints (`previousResponseId`) for the continuity layer to pick up.
 */
function rejectContinuation(decoded: DecodedRequest): DecodedRequest {
  const hints = decoded.hints as Partial<ResponsesHints> | undefined;
  if (hints?.previousResponseId !== undefined) {
    throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', 'previous_response_id: lip does not store responses yet; send the whole conversation in input (and store: false)', { param: 'previous_response_id' });
  }
  return decoded;
}

export const responsesRoutes: readonly GenerateRoute[] = [
  {
    method: 'POST',
    path: '/v1/responses',
    decode: (body) => rejectContinuation(decodeResponsesRequest(body)),
    streamEncoder: (context) => new ResponsesStreamEncoder(context),
    encodeResponse: encodeResponsesResponse,
  },
];
