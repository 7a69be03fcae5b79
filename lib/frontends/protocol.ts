import type { Call, CollectedResponse, LipEvent } from '../canonical/index.js';
import type { LipError } from '../errors/index.js';

/**
 * The contract between the server and a client protocol. Frontends are pure codecs: they never
 * touch sockets. The server reads the body, calls `decode`, runs the call, and writes what the
 * encoders return; the order of those phases is the same for every protocol.
 */
/** A client protocol id (the registry lists them). */
export type FrontendId = string;

export interface DecodedRequest {
  readonly call: Call;
  /** Protocol-private hints for the encoders (e.g. `stream_options.include_usage`). */
  readonly hints?: Readonly<Record<string, unknown>>;
}

export interface RequestContext {
  /** Path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface EncodeContext {
  readonly call: Call;
  readonly hints: Readonly<Record<string, unknown>>;
  readonly requestId: string;
  /** Unix time in seconds when the request arrived. */
  readonly created: number;
}

/** Turns events into wire text. One instance per response; it keeps the stream's state. */
export interface StreamEncoder {
  /** Wire text for one event ('' when the protocol has nothing to say). */
  event(event: LipEvent): string;
  /** A failure after the stream started: the protocol's in-band error; the stream then ends. */
  error(err: LipError): string;
  /** Written when the stream completes normally (e.g. `data: [DONE]`). */
  end(): string;
}

export interface ErrorResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A generation endpoint (`POST /v1/chat/completions`, ...). */
export interface GenerateRoute {
  readonly method: 'POST';
  /** An exact path, or a template such as `/v1beta/models/{model}:generateContent`. */
  readonly path: string;
  /** For templates: path parameters, or undefined when the path does not match. */
  match?(pathname: string): Record<string, string> | undefined;
  decode(body: unknown, context: RequestContext): DecodedRequest;
  streamEncoder(context: EncodeContext): StreamEncoder;
  encodeResponse(response: CollectedResponse, context: EncodeContext): unknown;
}

export interface Frontend {
  readonly id: FrontendId;
  readonly routes: readonly GenerateRoute[];
  /** `Content-Type` of streamed responses. */
  readonly streamContentType: string;
  /** The protocol's error envelope for a failure before any output. */
  encodeError(err: LipError): ErrorResponse;
}
