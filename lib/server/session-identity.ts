import type { IncomingMessage } from 'node:http';
import { LipError } from '../errors/index.js';

/** The body metadata key that may carry a resume token (Chat Completions, Responses, Anthropic Messages). */
export const RESUME_TOKEN_METADATA_KEY = 'lip_resume_token';

/** What a request says about the conversation it belongs to. */
export interface SessionIdentity {
  readonly sessionId?: string;
  readonly resumeToken?: string;
  /** Where the token came from, as the client wrote it (`X-LIP-Resume-Token` or `metadata.lip_resume_token`): what an error about it names. */
  readonly resumeTokenParam?: string;
  readonly aLegId?: string;
}

/**
 * The conversation identity a request presents: `X-LIP-Session-Id`, `X-LIP-Resume-Token` (else
 * `metadata.lip_resume_token` in the body) and `X-LIP-A-Leg-Id`; empty values count as absent.
 * The body's token is taken out of the parsed body here, before anything else sees it: it never
 * reaches the frontends' decoders (so never the canonical call's metadata, which backends
 * forward upstream, nor an echo of the request), traffic observers or recordings.
 * @see docs/sessions.md
 */
export function sessionIdentity(req: IncomingMessage, body: unknown): SessionIdentity {
  const one = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const sessionId = one('x-lip-session-id');
  const bodyToken = takeBodyToken(body);
  const headerToken = one('x-lip-resume-token');
  const resumeToken = headerToken ?? bodyToken;
  const resumeTokenParam = headerToken !== undefined ? 'X-LIP-Resume-Token' : `metadata.${RESUME_TOKEN_METADATA_KEY}`;
  const aLegId = one('x-lip-a-leg-id');
  return { ...(sessionId !== undefined ? { sessionId } : {}), ...(resumeToken !== undefined ? { resumeToken, resumeTokenParam } : {}), ...(aLegId !== undefined ? { aLegId } : {}) };
}

/**
 * A request of a batch: a batch runs detached from the request that made it, and none of its
 * requests continues a conversation. A resume token in the body's metadata is taken out (so that
 * it goes no further: not to a decoder, an observer, a recording or the provider) and refused,
 * a 400 naming `metadata.lip_resume_token`.
 * @see docs/sessions.md
 */
export function refuseBodyToken(body: unknown): void {
  if (takeBodyToken(body) === undefined) return;
  const param = `metadata.${RESUME_TOKEN_METADATA_KEY}`;
  throw new LipError('LIP_ERR_REQUEST_INVALID', `${param}: a request of a batch cannot continue a conversation (it runs detached); send it without the resume token`, { param });
}

function takeBodyToken(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const metadata = (body as Record<string, unknown>).metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || !Object.prototype.hasOwnProperty.call(metadata, RESUME_TOKEN_METADATA_KEY)) return undefined;
  const token = (metadata as Record<string, unknown>)[RESUME_TOKEN_METADATA_KEY];
  delete (metadata as Record<string, unknown>)[RESUME_TOKEN_METADATA_KEY];
  if (typeof token !== 'string') throw new LipError('LIP_ERR_REQUEST_INVALID', `metadata.${RESUME_TOKEN_METADATA_KEY}: must be a string (the resume token)`, { param: `metadata.${RESUME_TOKEN_METADATA_KEY}` });
  return token !== '' ? token : undefined;
}
