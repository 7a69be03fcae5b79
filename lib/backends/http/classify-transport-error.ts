import { LipError } from '../../errors/index.js';
import { CompressedBodyError } from './upstream-client.js';

/** Where a transport failure happened: before the response headers, or while reading the body. */
export type TransportPhase = 'connect' | 'body';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The first `code` along an error's cause chain (undici and node put it at different depths). */
export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A transport failure (no HTTP status) as a LipError, decided once: the three `http_client`
 * timeouts keep distinct codes; refused, unresolvable and unreachable hosts are connect
 * failures; a connection that dies is a reset. All of them are retryable (CONTRACT section 7).
 * A request the HTTP client will not send (`UND_ERR_INVALID_ARG`: lip built it wrong, say a
 * header value no header can carry) is lip's own failure: not retryable, and no circuit counts it.
 * The message names the backend and the error code, never the URL or any header. A LipError is
 * already classified (lip's own connection queue, LIP_ERR_UPSTREAM_QUEUE_TIMEOUT) and kept as it is.
 */
export function classifyTransportError(err: unknown, backendId: string, phase: TransportPhase): LipError {
  // Decided where it happened (lip's connection queue turning the request away): kept.
  if (err instanceof LipError) return err;
  const code = errorCode(err);
  const detail = { backend: backendId, transport_code: code ?? null, phase };
  const make = (lipCode: ConstructorParameters<typeof LipError>[0], what: string) =>
    new LipError(lipCode, `backend "${backendId}": ${what}${code ? ` (${code})` : ''}`, { cause: err, detail });
  if (err instanceof CompressedBodyError) {
    // Nothing was read: another candidate may answer plainly.
    return new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${backendId}": the upstream answered with content-encoding "${err.encoding}" although lip asks for identity; compressed bodies are not decoded`, { cause: err, detail, retryable: true });
  }
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return make('LIP_ERR_UPSTREAM_CONNECT_TIMEOUT', 'connecting to the upstream timed out (http_client.connect_timeout)');
    case 'UND_ERR_HEADERS_TIMEOUT':
      return make('LIP_ERR_UPSTREAM_HEADERS_TIMEOUT', 'the upstream sent no response headers in time (http_client.headers_timeout)');
    case 'UND_ERR_BODY_TIMEOUT':
      return make('LIP_ERR_UPSTREAM_BODY_TIMEOUT', 'the upstream body stalled (http_client.body_timeout)');
    default:
      break;
  }
  // Nothing was sent: no upstream was tried, so none is to blame.
  if (code === 'UND_ERR_INVALID_ARG') return make('LIP_ERR_SERVER_INTERNAL', 'lip built a request the HTTP client will not send');
  if (code !== undefined && UNREACHABLE.has(code)) return make('LIP_ERR_UPSTREAM_CONNECT', 'could not connect to the upstream');
  // An answer came, but not one HTTP can read: headers past the parser's limit, a status line or
  // header the parser refuses. Not a host that cannot be reached; another candidate may answer.
  if (phase === 'connect' && (code === 'UND_ERR_HEADERS_OVERFLOW' || (err instanceof Error && err.name === 'HTTPParserError' && code !== 'HPE_CLOSED_CONNECTION' && code !== 'HPE_INVALID_EOF_STATE'))) {
    const what = code === 'UND_ERR_HEADERS_OVERFLOW' ? 'response headers larger than lip reads (16 KiB)' : `a response that is not valid HTTP: ${(err as Error).message.slice(0, 160)}`;
    return new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${backendId}": the upstream answered with ${what}${code ? ` (${code})` : ''}`, { cause: err, detail, retryable: true });
  }
  if ((code !== undefined && (RESET.has(code) || code.startsWith('HPE_'))) || phase === 'body') {
    return make('LIP_ERR_UPSTREAM_RESET', phase === 'body' ? 'the upstream connection broke during the response' : 'the upstream closed the connection');
  }
  // A proxy refusing the tunnel, a TLS failure, anything else before a response: unreachable.
  return make('LIP_ERR_UPSTREAM_CONNECT', 'could not reach the upstream');
}
