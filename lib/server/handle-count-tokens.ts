import type { IncomingMessage, ServerResponse } from 'node:http';
import { estimateTokens } from '../canonical/estimate-tokens.js';
import type { Runtime } from '../core/runtime.js';
import { firstCandidate } from '../core/first-candidate.js';
import { toLipError } from '../errors/index.js';
import type { Frontend } from '../frontends/protocol.js';
import { headerValue, readJsonBody } from '../wire/index.js';
import type { DecodeTicket } from './decode-admission.js';
import { sendJson } from './send.js';

/**
 * A token count (Anthropic `POST /v1/messages/count_tokens`). The body is decoded like a
 * generation (a 400 in the protocol's envelope names the field); the route is resolved as for a
 * generation (X-LIP-Route, model, alias, default route) and its first candidate decides: a
 * backend that speaks the protocol's count call gets the request forwarded with its model put
 * in (`x-lip-token-count: upstream`); any other answers lip's own estimate
 * (lib/canonical/estimate-tokens.ts), marked in the body and by `x-lip-token-count: estimate`.
 * Failures answer in the protocol's envelope. The body holds `decode` (decode admission) until
 * it is decoded.
 *
 * @see spec/e2e/count-tokens.spec.ts
 */
export async function handleCountTokens(req: IncomingMessage, res: ServerResponse, frontend: Frontend, runtime: Runtime, decode: DecodeTicket, failed: (code: string, backend?: string) => void): Promise<void> {
  const route = frontend.countTokensRoute!;
  let backendKey: string | undefined;
  try {
    const body = await readJsonBody(req, runtime.config.server.max_request_body_bytes, decode);
    const call = route.decode(body, req.headers);
    decode.release();
    const header = req.headers['x-lip-route'];
    const target = firstCandidate(runtime.config, new Set(runtime.backends.keys()), call.model, typeof header === 'string' ? header : undefined);
    const backend = target ? runtime.backends.get(target.backend) : undefined;
    if (backend?.countTokens && target) {
      backendKey = `${target.backend}:${target.model}`;
      const answer = await backend.countTokens(body as Record<string, unknown>, target.model, call.betas ? { betas: call.betas } : {});
      return sendJson(res, 200, answer, { 'x-lip-token-count': 'upstream', 'x-lip-backend': headerValue(backendKey) });
    }
    return sendJson(res, 200, route.encodeEstimate(estimateTokens(call)), { 'x-lip-token-count': 'estimate' });
  } catch (err) {
    const lip = toLipError(err);
    failed(lip.code, backendKey);
    req.resume();
    const response = frontend.encodeError(lip);
    sendJson(res, response.status, response.body, { ...response.headers });
  }
}
