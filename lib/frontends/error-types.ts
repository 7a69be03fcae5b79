/**
 * The error `type` vocabulary that OpenAI- and Anthropic-style envelopes share, by HTTP status.
 */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400: case 413: case 415: case 422: return status === 413 ? 'request_too_large' : 'invalid_request_error';
    case 401: return 'authentication_error';
    case 403: return 'permission_error';
    case 404: case 405: return 'not_found_error';
    case 429: return 'rate_limit_error';
    case 503: case 529: return 'overloaded_error';
    case 504: return 'timeout_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
