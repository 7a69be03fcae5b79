export { UpstreamClient, DEFAULT_HTTP_SETTINGS, createDispatcher, proxyEnvironment, type UpstreamRequest, type UpstreamResponse } from './upstream-client.js';
export { upstreamSource, type StreamDecoder, type UpstreamExchange, type CredentialOptions } from './upstream-source.js';
export { HttpBackend, type HttpProtocol } from './http-backend.js';
export { classifyTransportError, errorCode, type TransportPhase } from './classify-transport-error.js';
export { retryAfterMs, durationMs, MAX_RETRY_AFTER_MS, type HeaderMap } from './parse-retry-after.js';
export { sanitizeMessage, MAX_UPSTREAM_MESSAGE_CHARS } from './sanitize-message.js';
export { readBodyText, parseJsonOrUndefined, MAX_ERROR_BODY_BYTES } from './read-body-text.js';
export { upstreamStatusError, upstreamStreamError, malformedFrame, parseFrame, type UpstreamStatusInfo } from './upstream-status-error.js';
export { errorMessageOf } from './error-message-of.js';
