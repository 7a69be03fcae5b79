import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/index.js';
import { LipError } from '../errors/index.js';
import type { Authenticator } from './auth.js';

/**
 * Who may see what on an operator surface: `principal` undefined is the operator (every
 * principal's data); otherwise only that principal's own attempts, transcripts or usage.
 */
export interface Viewer {
  readonly principal?: string;
}

export const OPERATOR: Viewer = Object.freeze({});

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The diagnostics secret of the request, compared in constant time (over SHA-256 digests). */
function hasSecret(req: IncomingMessage, secret: string): boolean {
  const presented = req.headers['x-lip-diagnostics-secret'];
  return typeof presented === 'string' && timingSafeEqual(digest(presented), digest(secret));
}

/**
 * The one gate every operator surface goes through (`/admin/*`, the metrics path, profiling,
 * and any operator route added later). Returns the viewer, or the refusal to send.
 *
 * * The diagnostics secret (`X-LIP-Diagnostics-Secret`) makes the caller the operator.
 * * Without a secret configured (the config allows that on loopback only), a caller who
 *   passes client auth is the operator in `single_user` mode: the one local user.
 * * In `multi_user` mode a client key alone is never the operator: on a `scoped` surface it
 *   sees its own principal's data only; elsewhere it is refused (403).
 * * No key where keys are required: 401 with `WWW-Authenticate` (the caller adds it).
 *
 * @param scoped whether the surface can answer for one principal (attempts, transcripts, usage)
 */
export function guardOperator(req: IncomingMessage, config: Config, auth: Authenticator, scoped: boolean): Viewer | LipError {
  const secret = config.diagnostics.shared_secret;
  if (secret !== undefined && hasSecret(req, secret)) return OPERATOR;
  const forbidden = () => new LipError('LIP_ERR_ADMIN_FORBIDDEN', secret === undefined
    ? 'this operator surface needs the diagnostics secret, and none is configured (diagnostics.shared_secret)'
    : 'this operator surface needs the diagnostics secret in X-LIP-Diagnostics-Secret');
  const multi = config.access.mode === 'multi_user';
  // A configured secret is the only operator credential; in single_user it is required.
  if (secret !== undefined && !(multi && scoped)) return forbidden();
  let principal: string;
  try {
    principal = auth.caller(req.headers).principal;
  } catch (err) {
    return err as LipError;
  }
  if (!multi) return OPERATOR;
  return scoped ? { principal } : forbidden();
}
