import type { Call, CollectedResponse, EmbeddingRequest, EmbeddingResult, LipEvent, Message, ToolDefinition } from '../canonical/index.js';
import type { LipError } from '../errors/index.js';
import { randomId } from '../wire/ids.js';

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
  /**
   * Server-side conversation state the protocol asks for (OpenAI Responses): continue from a
   * stored response, and/or store this one. The server prepends the stored conversation to
   * `call.messages` and saves the response under `EncodeContext.responseId`.
   */
  readonly continuation?: Continuation;
  /**
   * How this request's stream goes on the wire when it differs from the protocol's usual one
   * (Gemini's JSON-array stream): its content type, and whether keepalive comments may be sent.
   */
  readonly streamWire?: { readonly contentType: string; readonly keepalive: boolean };
  /**
   * Where the call's messages, tools and tool choice came from in the body, for naming the
   * client's fields when the canonical checks refuse the call (clientPath). A decoder records
   * none while it decodes (every request would pay for what a rare refusal reads): this decodes
   * the body again, recording them (originsLater); undefined when that fails.
   */
  readonly origins?: () => CallOrigins | undefined;
}

/** Where a decoder asked for the origins of its call puts them (DecodedRequest.origins). */
export interface OriginRecorder {
  origins?: CallOrigins;
}

/**
 * A decoder's DecodedRequest.origins: `decode` (the same decoder on the same body, which
 * decoders only read) run again with a recorder when the origins are asked for. Should it throw,
 * there are none, and the canonical paths are named.
 *
 * ```ts
 * return { call, origins: originsLater((recorder) => decodeChatRequest(body, recorder)) };
 * ```
 */
export function originsLater(decode: (recorder: OriginRecorder) => unknown): () => CallOrigins | undefined {
  return () => {
    const recorder: OriginRecorder = {};
    try {
      decode(recorder);
    } catch {
      return undefined;
    }
    return recorder.origins;
  };
}

/**
 * Where something of a decoded call came from in the request body: the path of the object that
 * declared it (`tools[1].function`, `messages[3].tool_calls[1]`), and the names its fields have
 * there when they are not the canonical ones (`{ parameters: 'input_schema' }`).
 */
export interface Origin {
  readonly at: string;
  readonly fields?: Readonly<Record<string, string>>;
}

/** A message's origin, with its parts' (a part without one is named by its message). */
export interface MessageOrigin extends Origin {
  readonly parts?: readonly (Origin | undefined)[];
}

/**
 * Where a decoded call's messages, tools and tool choice came from in the request, by their
 * index in `call.messages` and `call.tools`: a message that is not one item of the request's
 * (system messages lifted into `system`, tool items folded into one message) shifts the indexes,
 * which only the decoder knows.
 */
export interface CallOrigins {
  readonly messages?: readonly (MessageOrigin | undefined)[];
  readonly tools?: readonly (Origin | undefined)[];
  readonly toolChoice?: Origin;
}

export interface Continuation {
  readonly previousResponseId?: string;
  /** Keep this response so that a later request can continue from it. */
  readonly store: boolean;
  /**
   * What this request adds to the stored conversation, when it is more than `call.messages`
   * (Responses: the leading system items of `input`, which the call carries in `system`).
   */
  readonly input?: readonly Message[];
  /**
   * The request fields the protocol's response object repeats (Responses: `instructions`,
   * `tools`, `metadata`, ...), kept with a stored response so that retrieving it shows them again.
   * (A thread's system and tools are kept among them too: `keepsPrompt`.)
   */
  readonly echo?: Readonly<Record<string, unknown>>;
  /**
   * The conversation keeps the system and tools of the request that started it (an Anthropic
   * thread): a request continuing it takes them from the turn it continues, never from itself,
   * and each stored turn keeps them for the next (continued-conversation.ts `inConversation`).
   */
  readonly keepsPrompt?: boolean;
  /** The prefix of the id a stored response gets, its protocol's (`msg_`: an Anthropic thread); `resp_` when absent. */
  readonly idPrefix?: string;
  /** Where the request names `previousResponseId`, for the 404 of one not stored (`thread.previous_message_id`); `previous_response_id` when absent. */
  readonly previousParam?: string;
  /**
   * The conversation the request runs in (Responses `conversation`): its earlier items are
   * already in the call, and the stored response continues `head` (the last of them) and is
   * added to the conversation once stored (GenerateRoute.appendToConversation).
   */
  readonly conversation?: ContinuationConversation;
  /**
   * Run detached from the request (Responses `background: true`, always stored): the request is
   * answered at once with the response `queued` (a streamed one follows its events, and may leave
   * and resume them), the response is polled, cancelled and resumed by id (GenerateRoute.background).
   */
  readonly background?: boolean;
}

/** A response just stored, as `GenerateRoute.listStored` is told of it. */
export interface StoredListing {
  readonly id: string;
  /** The model its answer named. */
  readonly model: string | undefined;
  /** When its request arrived, in milliseconds since the epoch. */
  readonly createdAt: number;
  /** `Continuation.echo` of its request. */
  readonly echo: Readonly<Record<string, unknown>> | undefined;
}

/** A conversation object a request runs in: its id, and the stored response its items end with (none: no items yet). */
export interface ContinuationConversation {
  readonly id: string;
  readonly head?: string;
}

export interface RequestContext {
  /** Path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface EncodeContext {
  readonly call: Call;
  /**
   * The model the response names: the one that served (as its upstream reported it), or the
   * requested one with `routing.echo_requested_model`. Undefined: `call.model` (the request's).
   * Required all the same, so that every context has the slot and a copy naming the model keeps
   * its shape (served-model.ts).
   */
  readonly model: string | undefined;
  readonly hints: Readonly<Record<string, unknown>>;
  readonly requestId: string;
  /** Unix time in seconds when the request arrived. */
  readonly created: number;
  /** The clock, Unix time in seconds (when a response completed). Absent: the system clock; golden-file tests fix it. */
  readonly now?: () => number;
  /**
   * Makes wire ids (`msg_...`, `resp_...`) from a prefix. Absent: random ids (see `wireId`).
   * Golden-file tests pass a counter so that the bytes are reproducible.
   */
  readonly newId?: (prefix: string) => string;
  /**
   * The id the server gave this response before it ran (Responses: so that a cancel can name it
   * while it runs); it is stored under it when `continuation.store` is set.
   */
  readonly responseId?: string;
  /** The continuation the request asked for, echoed in the response object. */
  readonly continuation?: Continuation;
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
  /** Items the body names by id instead of carrying them, put in their place before it is decoded (see ResolveReferences). */
  readonly resolveReferences?: ResolveReferences;
  /**
   * Adds a stored response to the conversation its request ran in (`continuation.conversation`);
   * the server awaits it before the answer ends, as it awaits a shared store's writes.
   */
  appendToConversation?(conversation: ContinuationConversation, responseId: string, responses: StoredResponses): Promise<void>;
  /**
   * Adds a response just stored (`continuation.store`) to what the protocol lists of the
   * caller's (OpenAI Chat: the list of stored completions); the server awaits it before the
   * answer ends. `retentionMs` is how long the store keeps a record (`continuity.ttl`).
   */
  listStored?(stored: StoredListing, responses: StoredResponses, retentionMs: number): Promise<void>;
  /** The answer to a cancel of this response while it runs (Responses: the Response object, `cancelled`). */
  cancelledResponse?(context: EncodeContext): unknown;
  /** How the protocol shows a background response (`continuation.background`); without it, none runs. */
  readonly background?: BackgroundRoute;
  /** A protocol that keeps responses by id answers for them at `{path}/{id}` (see StoredResponseRoutes). */
  readonly storedResponses?: StoredResponseRoutes;
  streamEncoder(context: EncodeContext): StreamEncoder;
  encodeResponse(response: CollectedResponse, context: EncodeContext): unknown;
  /** The protocol's WebSocket mode on this path (Responses: `GET {path}` upgraded), when it has one. */
  readonly websocket?: WebSocketMode;
}

/**
 * A protocol's WebSocket mode: on one connection the client sends turns as messages, and each
 * runs as a streamed request of the route, its events sent back one message each (the server's
 * lib/server/websocket-turns.ts). The protocol decides what a message asks for and keeps what
 * it keeps per connection (`session`).
 */
export interface WebSocketMode {
  /** Messages a connection may have waiting behind the running turn; beyond, its socket is not read until one starts. */
  readonly maxQueuedTurns: number;
  /** The protocol state of one connection. */
  session(): WebSocketSession;
}

export interface WebSocketSession {
  /** A client's text message: the turn to run, its answer without a request, or the error that answers it. */
  turn(text: string): WebSocketTurn;
  /** The message answering a turn that failed before its stream: the status and the protocol's error envelope. */
  errorMessage(status: number, envelope: unknown): string;
}

export type WebSocketTurn =
  /**
   * A streamed request of the route with this body; each event of its stream (its SSE `event`
   * name and `data` text) becomes the message `event` returns; `failed` is told when the turn
   * ended without its stream ending (an error before it, or a cut).
   */
  | { readonly body: Record<string, unknown>; event(type: string, data: string): string; failed(): void }
  /** Messages that answer the turn at once, with no request. */
  | { readonly answer: readonly string[] }
  | { readonly error: LipError };

/**
 * A stored response as the continuity store gives it back (the store keeps what
 * `DecodedRequest.continuation` asked for; lib/continuity's StoredResponse is one).
 */
export interface StoredResponseView {
  readonly id: string;
  readonly previousResponseId: string | undefined;
  /** The model the response named when it was answered. */
  readonly model: string | undefined;
  /** When its request arrived, in milliseconds since the epoch. */
  readonly createdAt: number;
  /** The request's own new input (not the stored turns before it). */
  readonly input: readonly Message[];
  readonly output: CollectedResponse;
  /** `Continuation.echo` of its request. */
  readonly echo: Readonly<Record<string, unknown>> | undefined;
  /** The conversation (A-leg) and session it ran in, when the store kept them. */
  readonly aLegId?: string | undefined;
  readonly sessionId?: string | undefined;
}

/** A stored response to keep (the continuity store's record, under the caller's principal). */
export interface StoredResponseDraft {
  readonly id: string;
  readonly previousResponseId?: string;
  readonly model?: string;
  /** When it was created, in milliseconds since the epoch (retention counts from it); now when absent. */
  readonly createdAt?: number;
  readonly input: readonly Message[];
  readonly output: CollectedResponse;
  readonly echo?: Readonly<Record<string, unknown>>;
  readonly aLegId?: string;
  readonly sessionId?: string;
  /** Never dropped to make room (ResponseRecord.durable). */
  readonly durable?: boolean;
}

/**
 * The caller's stored responses, for what a protocol keeps beyond a response (Responses
 * conversations and item references): read, kept and deleted under the caller's principal.
 * `load` and `chain` reject with the 404 of an id the caller has no response of.
 */
export interface StoredResponses {
  /** Whose they are (what a protocol keeps per caller is named after it: Gemini's list of cached contents). */
  readonly principal: string;
  load(id: string): Promise<StoredResponseView>;
  /** The responses of `id`'s chain (through `previousResponseId`), oldest first, `id`'s last. */
  chain(id: string): Promise<readonly StoredResponseView[]>;
  save(draft: StoredResponseDraft): void;
  delete(id: string): Promise<void>;
  /**
   * Deletes `id` by its id while keeping it for what reads it through a chain or by its items (a
   * tombstone: `load` and `chain` still read it; retrieving it, deleting it again and continuing
   * from it answer 404 as for one never stored); a 404 when it is not stored, or already one.
   */
  tombstone(id: string): Promise<void>;
  /**
   * Runs `change` (a read, change and save of one record) while no other `exclusive` of `key`
   * runs, on this instance or, with a shared store, on any (ContinuityStore.exclusive).
   */
  exclusive<T>(key: string, change: () => Promise<T>): Promise<T>;
  /** The caller's uploaded file `id` (OpenAI's Files API, held by lip), or undefined when lip holds no such file of theirs. */
  file?(id: string): Promise<StoredFile | undefined>;
}

/** An uploaded file's bytes as a request carries them inline. */
export interface StoredFile {
  readonly filename: string;
  readonly mediaType: string;
  /** Base64. */
  readonly data: string;
}

/**
 * Items of stored responses that a body names by id instead of carrying them (Responses
 * `item_reference`): undefined when it names none (no promise, no lookup: the usual case), else
 * the body with each reference replaced by the item it names, to be decoded (and recorded) in
 * place of the client's. A reference that names no item of the caller's stored responses rejects
 * with a LipError naming it.
 */
export type ResolveReferences = (body: unknown, responses: StoredResponses, params?: Readonly<Record<string, string>>) => Promise<unknown> | undefined;

/**
 * A protocol's own resource (Responses conversations and their items): `path` with `{name}`
 * segments (`/v1/conversations/{conversation_id}/items/{item_id}`), answered from the caller's
 * stored responses. `handle` answers the JSON body of a 200, or throws a LipError (in the
 * protocol's envelope); the server authenticates, reads the body of a POST (its limits, JSON
 * errors) and, with a store shared between instances, answers once the writes are there.
 */
export interface ResourceRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /**
   * The body is bytes (an upload, Gemini's `/upload/v1beta/files`), read up to
   * `server.max_batch_body_bytes` under the decode admission and given as `bytes`, not parsed.
   */
  readonly upload?: boolean;
  /** The query parameter naming a token that `ResourceRequest.grants` gave out (Gemini's upload's `upload_id`): a request naming one is its caller's without a key. */
  readonly grantedBy?: string;
  handle(request: ResourceRequest): Promise<unknown>;
}

export interface ResourceRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body of a POST or PATCH (undefined for an empty one, GET and DELETE, and an upload's). */
  readonly body: unknown;
  /** An upload's body (ResourceRoute.upload), as sent. */
  readonly bytes?: Buffer;
  /** The request's headers (an upload's protocol headers). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Where the client reached lip (`http://host:port`, from `Host` or `X-Forwarded-Host` / `-Proto`): for the URLs an answer gives. */
  readonly origin: string;
  readonly responses: StoredResponses;
  /** How long the store keeps a record after it was saved (`continuity.ttl`), in milliseconds. */
  readonly retentionMs: number;
  /** The most an uploaded file may hold (`server.max_batch_body_bytes`). */
  readonly maxFileBytes: number;
  /** A route with `grantedBy`: the URL grants its answers give out and take back. */
  readonly grants?: UrlGrants;
}

/**
 * What makes a token a route gives out in a URL (Gemini's upload URL, its `upload_id`) authorize
 * the requests that name it in the route's `grantedBy` parameter, as the caller who was given it:
 * such a request needs no key (with one, it is that key's, as any request). `give` is called
 * with an unguessable token (at least 32 random characters) and when its authority ends
 * (milliseconds since the epoch); `revoke` ends it sooner.
 */
export interface UrlGrants {
  give(token: string, expires: number): void;
  revoke(token: string): Promise<void>;
}

/** A resource's answer with headers of its own (an upload session's URL and status): `handle` returns it instead of the body. */
export class ResourceAnswer {
  constructor(readonly body: unknown, readonly headers: Readonly<Record<string, string>>) {}
}

/**
 * The endpoints of a protocol that keeps responses by id (OpenAI Responses with `store`):
 * `GET {path}/{id}`, `DELETE {path}/{id}` and `GET {path}/{id}/input_items`. The server
 * authenticates and reads or deletes through the continuity store, scoped to the principal (an
 * unknown id, another principal's and a deleted one are the same 404); these only check the
 * query and write the answers. `retrieve` and `inputItems` check the query first (a 400
 * LipError before any lookup) and return the encoder of the answer.
 */
/** The response objects of a background response (Continuation.background) while it runs and once it ended without completing. */
export interface BackgroundRoute {
  /** Its object while it runs: `queued` until its first output, `in_progress` after. */
  running(context: EncodeContext, started: boolean): unknown;
  /**
   * What is kept with its stored response when it ended without completing (cancelled, or
   * failed with `error`), merged into `Continuation.echo`: its retrieval shows that ending.
   */
  ending(status: 'cancelled' | 'failed', error: LipError | undefined): Readonly<Record<string, unknown>>;
}

export interface StoredResponseRoutes {
  /** The prefix of the ids this protocol stores responses under (`resp_`): another protocol's stored message is not one of its responses. */
  readonly idPrefix: string;
  /** `GET {path}/{id}`: the stored response as the protocol's response object. */
  retrieve(query: URLSearchParams): (stored: StoredResponseView) => unknown;
  /** `GET {path}/{id}/input_items`: a page of the stored response's input items. */
  inputItems(query: URLSearchParams): (stored: StoredResponseView) => unknown;
  /** `DELETE {path}/{id}`: the answer once the response is deleted. */
  deleted(id: string): unknown;
  /**
   * `DELETE {path}/{id}` of the caller's stored response `stored`, for a protocol whose stored
   * records are read through one another (absent: it is deleted): a 404 LipError for a record
   * that is no response by its id; `responses.tombstone` for one whose items are still read
   * through it.
   */
  deleteStored?(stored: StoredResponseView, responses: StoredResponses): Promise<void>;
  /**
   * `GET {path}/{id}?stream=true`: the sequence number the events resume after (`starting_after`;
   * -1 for all), or undefined when the query asks for no stream; a 400 LipError for a malformed one.
   */
  streamAfter?(query: URLSearchParams): number | undefined;
  /** The object of a stored background response, as it ended; undefined for one that ran in its request. */
  backgroundObject?(stored: StoredResponseView): unknown;
}

/** One request of a batch: the client's id for it and its generation body. */
export interface BatchRequest {
  readonly customId: string;
  readonly body: unknown;
  /**
   * lip's name for it in the batch, unique there: its request id is `{batch id}/{key}` (access
   * log, spans, recording). The custom id when absent, for a protocol whose custom ids are unique
   * in a batch; one whose are not (Gemini's metadata) gives each request a key of its own.
   */
  readonly key?: string;
}

/**
 * How one request of a batch ended: its answer's body, its error's envelope and status, or
 * ended with the batch (cancelled, or expired: its day or its instance ended), `interrupted`
 * when it was running then (its upstream call ended unanswered) rather than never run;
 * `requestId` is lip's id of the request.
 */
export type BatchOutcome =
  | { readonly type: 'succeeded'; readonly body: unknown; readonly requestId: string }
  | { readonly type: 'errored'; readonly body: unknown; readonly status: number; readonly requestId: string; readonly code?: string }
  | { readonly type: 'canceled' | 'expired'; readonly interrupted?: boolean };

/** A batch as the server keeps it (times in milliseconds since the epoch). */
export interface BatchView {
  readonly id: string;
  readonly status: 'in_progress' | 'canceling' | 'ended';
  readonly counts: { readonly processing: number; readonly succeeded: number; readonly errored: number; readonly canceled: number; readonly expired: number };
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly endedAt: number | undefined;
  readonly cancelInitiatedAt: number | undefined;
  /** The requests in all. */
  readonly total: number;
  /** What the protocol kept of the create (PreparedBatch.fields). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The batch failed before any request ran (PreparedBatch.failed). */
  readonly failed: unknown;
  /** Tokens of its answered requests. */
  readonly usage: { readonly input: number; readonly output: number; readonly cacheRead: number; readonly reasoning: number };
  /** With files (BatchRoutes.files): the ids of its results' files once it ended (the succeeded lines; the others), when it has such lines. */
  readonly outputFileId: string | undefined;
  readonly errorFileId: string | undefined;
}

/** A create body as the protocol reads it. */
export interface PreparedBatch {
  readonly requests: readonly BatchRequest[];
  /** The path of the generation route its requests run by (`/v1/messages`, `/v1/chat/completions`). */
  readonly endpoint: string;
  /** What the batch object shows of the create (its endpoint, input file, metadata). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The batch is made failed, with these errors, and runs nothing (OpenAI's invalid input file). */
  readonly failed?: unknown;
  /** How long its results' files are kept after they are made (at most `continuity.ttl`, the default). */
  readonly resultsExpireAfterMs?: number;
}

/** The caller's stored files, as a batch create reads its input (FileRoutes). */
export interface BatchFiles {
  /** The file's text; the 404 naming `param` when the caller has no such file. */
  text(id: string, param: string): Promise<string>;
}

/**
 * A protocol's batches of generation requests run detached from the request that made them
 * (Anthropic Message Batches, OpenAI's Batch API): `POST {path}`, `GET {path}`, `GET {path}/{id}`,
 * `POST {path}/{id}/cancel`, and when the protocol has them `DELETE {path}/{id}` and
 * `GET {path}/{id}/results`. The server authenticates, runs each request through the generation
 * route of its endpoint (decoded, executed, encoded as a non-streamed answer), keeps the batches
 * and their results in the caller's stored responses; these read the bodies and queries (a 400
 * LipError for a malformed one, naming the field) and write the answers.
 */
export interface BatchRoutes {
  readonly path: string;
  /** The prefix of its batch ids (`msgbatch_`, `batch_`). */
  readonly idPrefix: string;
  /** The path parameter's name in errors (`message_batch_id`, `batch_id`). */
  readonly idParam: string;
  /**
   * The create's path when it is not `POST {path}` (Gemini's `/v1beta/models/{model}:batchGenerateContent`):
   * its parameters, or undefined for another path.
   */
  createMatch?(pathname: string): Record<string, string> | undefined;
  /** What follows `{path}/{id}` in the cancel's path (`/cancel`, Gemini's `:cancel`). */
  readonly cancelSuffix: string;
  /**
   * Reads a create body (at most `maxRequests` requests, custom ids unique); an input file from
   * `files`; `params` of its path (createMatch).
   */
  prepare(body: unknown, maxRequests: number, files: BatchFiles | undefined, params?: Readonly<Record<string, string>>): Promise<PreparedBatch>;
  /**
   * The batch object; `resultsUrl` where its results are once it ended, and its result lines
   * themselves (a retrieval of an ended batch) when the protocol shows them inline (`inlineResults`).
   */
  object(batch: BatchView, resultsUrl: string, lines?: readonly unknown[]): unknown;
  /** Whether the object of `batch` shows its results once it ended (Gemini's inlined responses; not a batch of an input file). */
  inlineResults?(batch: BatchView): boolean;
  /** The answer to a cancel, when it is not the batch object. */
  cancelled?(batch: BatchView): unknown;
  /** A list query: how many, and the id to page before or after (newest first). */
  listQuery(query: URLSearchParams): { readonly limit: number; readonly beforeId?: string; readonly afterId?: string };
  /** A page of batch objects. */
  list(objects: readonly unknown[], firstId: string | undefined, lastId: string | undefined, hasMore: boolean): unknown;
  /** `DELETE {path}/{id}`'s answer, when the protocol deletes batches. */
  deleted?(id: string): unknown;
  /** One line of the results (a JSON object), for the request `customId` of a batch made with `fields` (PreparedBatch.fields). */
  result(customId: string, outcome: BatchOutcome, fields: Readonly<Record<string, unknown>>): unknown;
  /** `Content-Type` of `GET {path}/{id}/results` (JSON lines), when the protocol has that endpoint. */
  readonly resultsContentType?: string;
  /**
   * The results as a file of the protocol's own (Gemini's responses file of a batch of an input
   * file, downloaded at `GET /v1beta/files/batch-{id}:download`): its path with `{id}`, the
   * batch's, and its `Content-Type`.
   */
  readonly resultsFile?: { readonly path: string; readonly contentType: string };
  /** Where a create finds its input file when the protocol keeps files other than by FileRoutes (Gemini's Files API): the caller's. */
  inputFiles?(responses: StoredResponses): BatchFiles;
  /** The protocol's files (OpenAI `/v1/files`): a create's input, and its results as two files once it ended. */
  readonly files?: FileRoutes;
}

/** A stored file (times in milliseconds since the epoch). */
export interface FileView {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly bytes: number;
  readonly createdAt: number;
  readonly expiresAt: number | undefined;
  /** The media type of a file of bytes (not of a batch's text). */
  readonly mediaType?: string;
}

/** An upload as the server read it (multipart form fields, and the file's name and bytes). */
export interface FileUpload {
  readonly fields: Readonly<Record<string, string>>;
  /** The file part: its name, bytes and `Content-Type` (empty when it had none). */
  readonly file: { readonly name: string; readonly bytes: Uint8Array; readonly type?: string } | undefined;
}

/**
 * A protocol's files (OpenAI `/v1/files`, the SDK's `files`): `POST {path}` (multipart),
 * `GET {path}`, `GET` / `DELETE {path}/{id}`, `GET {path}/{id}/content`. The server keeps them
 * in the caller's stored responses; a batch's results are files of it too.
 */
export interface FileRoutes {
  readonly path: string;
  /** The prefix of its file ids (`file-`). */
  readonly idPrefix: string;
  /**
   * The purpose and lifetime of an upload (a 400 naming the field for a malformed one); `text`
   * for a purpose whose files are UTF-8 text (a batch's input), else `mediaType` (the bytes are
   * kept as they are, for requests to name by id).
   */
  upload(upload: FileUpload): { readonly purpose: string; readonly filename: string; readonly expiresAfterMs?: number; readonly text: boolean; readonly mediaType: string };
  /** The purpose of a batch's results' files; none when the protocol's batches have no results files (Anthropic's). */
  readonly resultsPurpose?: string;
  object(file: FileView): unknown;
  /**
   * A list query: how many, the id to page after (or before: the page just newer than it), the
   * order, the purpose, and `only` these ids (Anthropic's `ids`; none for a scope lip has no files in).
   */
  listQuery(query: URLSearchParams): { readonly limit: number; readonly afterId?: string; readonly beforeId?: string; readonly order: 'asc' | 'desc'; readonly purpose?: string; readonly only?: readonly string[] };
  list(objects: readonly unknown[], firstId: string | undefined, lastId: string | undefined, hasMore: boolean): unknown;
  deleted(id: string): unknown;
  /**
   * Whether a request is this protocol's when two protocols have files at one path (`/v1/files`:
   * Anthropic's with `anthropic-version`); the protocol without it answers the others.
   */
  accepts?(headers: Readonly<Record<string, string | string[] | undefined>>): boolean;
  /** The id prefix of the caller's list of these files (`files/list-` by default), when two protocols keep files apart. */
  readonly listPrefix?: string;
  /** Uploaded files' content is not served (Anthropic's `downloadable: false`): the 400 of a content request says so. */
  readonly notDownloadable?: string;
}

/** One per-key limit as an answer reports it: the limit, what is left of it, and in how long it is whole again. */
export interface RateLimitWindow {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window is fully replenished (0: it is). */
  readonly resetMs: number;
}

/** The caller's API key's per-minute limits as its request found them (`requests_per_minute`, `tokens_per_minute`). */
export interface RateLimitState {
  readonly requests?: RateLimitWindow;
  readonly tokens?: RateLimitWindow;
}

export interface Frontend {
  readonly id: FrontendId;
  /**
   * The key's per-minute limits as this protocol's answers carry them (Anthropic's
   * `anthropic-ratelimit-*`); absent: the `x-ratelimit-*` headers OpenAI's answers carry.
   */
  rateLimitHeaders?(state: RateLimitState): Record<string, string>;
  readonly routes: readonly GenerateRoute[];
  /** `Content-Type` of streamed responses. */
  readonly streamContentType: string;
  /**
   * The protocol's error envelope for a failure before any output. `requestId`: the answer's
   * request id (its `x-request-id`), for envelopes that name it (Anthropic's `request_id`).
   */
  encodeError(err: LipError, requestId?: string): ErrorResponse;
  /** Model-list endpoints of this protocol (`GET /v1/models`, ...). */
  readonly modelRoutes?: readonly ModelListRoute[];
  /** The protocol's token-count endpoint (Anthropic `POST /v1/messages/count_tokens`). */
  readonly countTokensRoute?: CountTokensRoute;
  /** The protocol's embeddings endpoints (OpenAI `POST /v1/embeddings`, Gemini `:embedContent` and `:batchEmbedContents`). */
  readonly embeddingsRoutes?: readonly EmbeddingsRoute[];
  /** The protocol's own resources (Responses: `/v1/conversations` and its items). */
  readonly resourceRoutes?: readonly ResourceRoute[];
  /** The protocol's batches of generation requests (Anthropic `/v1/messages/batches`). */
  readonly batchRoutes?: BatchRoutes;
  /** The URL query parameter that may carry the client's key when no header does (Gemini's `key`). */
  readonly queryKey?: string;
  /**
   * How this protocol's clients send their key, for the 401 of a request that sent none
   * (Gemini: `x-goog-api-key: <key> (or ?key=<key>)`). Absent: `Authorization: Bearer <key> (or x-api-key)`.
   */
  readonly keyHint?: string;
  /**
   * Whether a path that matches no route belongs to this protocol, so that its 404 / 405 uses
   * this envelope: `exact` for paths only this protocol uses, `prefix` for a shared prefix
   * (`/v1/`); an exact claim wins over a prefix claim. The headers and query may say whose a
   * shared path is (Anthropic's `anthropic-version`, a Gemini client's `x-goog-api-key` or `?key=`).
   */
  claimsPath?(pathname: string, headers: Readonly<Record<string, string | string[] | undefined>>, query: URLSearchParams): 'exact' | 'prefix' | undefined;
  /**
   * The request field each canonical generation option comes from (`maxOutputTokens` ->
   * `max_tokens`), so that a value the canonical checks refuse is named as the client wrote it.
   * A list names the fields that may carry it, the first one present in the body wins.
   */
  readonly optionFields?: Readonly<Record<string, string | readonly string[]>>;
  /** The request field that holds the conversation, when it is not `messages` (`input`, `contents`). */
  readonly messagesField?: string;
  /**
   * Checks a stored conversation a request continues by id (`continuation.previousResponseId`)
   * before its turns come first: a refusal rejects (Responses: one that ended cancelled or
   * failed); answers the messages to put first instead of the stored ones (Responses: without
   * the items deleted from the conversation its turns ran in), undefined to keep them. `tools`
   * are the request's own. Absent: every stored conversation is continued as stored.
   */
  continued?(conversation: ContinuedConversation, responses: StoredResponses, tools: readonly ToolDefinition[]): Promise<readonly Message[] | undefined> | undefined;
}

/** A stored conversation a request continues (Frontend.continued): the response it continues, and the echoed fields of its chain, oldest first. */
export interface ContinuedConversation {
  readonly responseId: string;
  readonly echoes: readonly (Readonly<Record<string, unknown>> | undefined)[];
}

/**
 * `path` (a canonical call path, `options.maxOutputTokens` or `tools[1].name`) as the field of
 * `body` it came from: options by the frontend's `optionFields`, `messages` as the frontend's
 * `messagesField`, a message, part, tool or the tool choice by the decoder's `origins` (a field
 * of it the body does not hold named by the object itself); other paths as they are, and an
 * item of the conversation without an origin (a stored turn) as the conversation.
 *
 * ```ts
 * clientPath({ maxOutputTokens: ['max_completion_tokens', 'max_tokens'] }, 'options.maxOutputTokens', { max_tokens: 0 }) // 'max_tokens'
 * clientPath(undefined, 'tools[1].name', body, 'messages', { tools: [..., { at: 'tools[1].function' }] }) // 'tools[1].function.name'
 * ```
 */
export function clientPath(fields: Frontend['optionFields'], path: string, body: unknown, messagesField?: string, origins?: CallOrigins): string {
  // The conversation as a whole.
  if (path === 'messages') return messagesField ?? path;
  if (origins !== undefined) {
    const item = /^(messages|tools)\[(\d+)\]/.exec(path);
    if (item?.[1] === 'messages' && origins.messages !== undefined) {
      const message = origins.messages[Number(item[2])];
      if (message === undefined) return messagesField ?? 'messages';
      const rest = path.slice(item[0].length);
      const part = /^\.parts\[(\d+)\]/.exec(rest);
      if (part === null) return originPath(message, rest, body);
      const from = message.parts?.[Number(part[1])];
      return from === undefined ? message.at : originPath(from, rest.slice(part[0].length), body);
    }
    if (item?.[1] === 'tools' && origins.tools !== undefined) {
      const tool = origins.tools[Number(item[2])];
      return tool === undefined ? 'tools' : originPath(tool, path.slice(item[0].length), body);
    }
    if ((path === 'toolChoice' || path.startsWith('toolChoice.')) && origins.toolChoice !== undefined) {
      return originPath(origins.toolChoice, path.slice('toolChoice'.length), body);
    }
  }
  if (!fields || !path.startsWith('options.')) return path;
  for (const [option, field] of Object.entries(fields)) {
    const name = `options.${option}`;
    if (path !== name && !path.startsWith(`${name}[`)) continue;
    const candidates = typeof field === 'string' ? [field] : field;
    const present = candidates.find((c) => fieldOf(body, c) !== undefined) ?? candidates[0]!;
    return present + path.slice(name.length);
  }
  return path;
}

/**
 * The field `rest` (`.name`, `.content[2].name`, or nothing) of an object of the body by its
 * origin: its first key renamed by `fields`; the object itself when the body does not hold that
 * field (a canonical field of no counterpart, a default the decoder filled in).
 */
function originPath(origin: Origin, rest: string, body: unknown): string {
  const field = /^\.([A-Za-z_]+)/.exec(rest);
  if (field === null) return origin.at;
  const named = `${origin.at}.${origin.fields?.[field[1]!] ?? field[1]!}`;
  return fieldOf(body, named) === undefined ? origin.at : named + rest.slice(field[0].length);
}

/** The value at a field path of a JSON body (`generationConfig.topK`, `tools[1].function.name`). */
function fieldOf(body: unknown, path: string): unknown {
  let at: unknown = body;
  for (const key of path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '')) {
    at = at !== null && typeof at === 'object' && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

/** A token count as the server hands it to a frontend's encoder. */
export interface TokenCount {
  readonly inputTokens: number;
  /** lip's own estimate (no backend on the route could count), marked as such in the answer. */
  readonly estimated: boolean;
}

/**
 * A token-count endpoint (Anthropic `count_tokens`, Gemini `:countTokens`, Responses
 * `input_tokens`): the request decodes into a canonical call like a generation; the server routes
 * it, the first candidate's backend counts it in its own protocol when it can (the call encoded as
 * that backend would send it), and otherwise lip estimates.
 */
export interface CountTokensRoute {
  /** The path, or its template when `match` is given (`/v1beta/models/{model}:countTokens`). */
  readonly path: string;
  /** Path parameters when the path is a template; undefined when it does not match. */
  match?(pathname: string): Record<string, string> | undefined;
  /**
   * The body as a call (a `continuation` only for `previousResponseId`; `origins` as a
   * generation's, to name the client's fields when the canonical checks refuse the call);
   * `headers` carry what the protocol puts there (Anthropic's `anthropic-beta`).
   */
  decode(body: unknown, context: Pick<RequestContext, 'params' | 'headers'>): Pick<DecodedRequest, 'call' | 'continuation' | 'origins'>;
  /**
   * Where the body holds the generation request when it wraps one (Gemini's
   * `generateContentRequest`): that request, and the prefix of the fields a refusal by the
   * canonical checks names. Absent, or undefined for a body: the body is the request.
   */
  wrapped?(body: unknown): { readonly request: unknown; readonly under: string } | undefined;
  /** A request of no messages is counted (Responses: its instructions and tools alone), where a generation refuses it. */
  readonly messagesOptional?: boolean;
  /** As GenerateRoute's: items named by id, put in their place before the body is decoded. */
  readonly resolveReferences?: ResolveReferences;
  /** The answer in the protocol's shape. */
  encode(count: TokenCount): unknown;
}

/** An embeddings request as decoded, with what its answer needs to know. */
export interface DecodedEmbeddings {
  readonly request: EmbeddingRequest;
  /** Protocol-private hints for `encode` (OpenAI's `encoding_format`). */
  readonly hints?: Readonly<Record<string, unknown>>;
}

/** What an embeddings answer is written from beside its vectors. */
export interface EmbeddingsEncodeContext {
  readonly request: EmbeddingRequest;
  readonly hints: Readonly<Record<string, unknown>>;
  /** The model the answer names: the one that served, or the requested one with `routing.echo_requested_model`. */
  readonly model: string;
  /** The input tokens: the upstream's count, else lip's estimate (`estimated`). */
  readonly usage: TokenCount;
}

/**
 * An embeddings endpoint (OpenAI `POST /v1/embeddings`, Gemini `:embedContent` and
 * `:batchEmbedContents`): the body decodes into a canonical embedding request, the server
 * routes it through the candidates that can embed (failing over on a retryable failure, as a
 * generation does) and the vectors go back in the protocol's shape.
 */
export interface EmbeddingsRoute {
  /** The path, or its template when `match` is given (`/v1beta/models/{model}:embedContent`). */
  readonly path: string;
  /** Path parameters when the path is a template; undefined when it does not match. */
  match?(pathname: string): Record<string, string> | undefined;
  /** The body as a request; a 400 LipError names the offending field. */
  decode(body: unknown, context: Pick<RequestContext, 'params'>): DecodedEmbeddings;
  /** The answer in the protocol's shape. */
  encode(result: EmbeddingResult, context: EmbeddingsEncodeContext): unknown;
}

/** One model the proxy offers, as the model-list endpoints show it. */
export interface ModelEntry {
  /** `backend:model` from a backend's inventory, or an alias name. */
  readonly id: string;
  /** The backend id that serves it; `lip` for an alias. */
  readonly ownedBy: string;
  /** What the model catalog knows of it (`model_catalog`), for protocols whose model objects say so. */
  readonly info?: ModelInfo;
  /**
   * lip can embed with it (`/v1/embeddings`, `:embedContent`): its backend has an embeddings call
   * that takes the model (an alias: a candidate of its route), for protocols whose model objects say so.
   */
  readonly embeds?: boolean;
}

/** A model's description from the model catalog; every field optional. */
export interface ModelInfo {
  readonly displayName?: string;
  /** `YYYY-MM-DD` or `YYYY-MM`. */
  readonly releaseDate?: string;
  /** The most input tokens a request may carry (the input limit, else the context window). */
  readonly inputTokens?: number;
  /** The most output tokens it writes. */
  readonly outputTokens?: number;
  readonly thinking?: boolean;
}

/**
 * A model-list endpoint. Several protocols may claim one path (OpenAI and Anthropic both list
 * at `GET /v1/models`): routes with `accepts` are asked first, in registry order, and the first
 * that accepts the request answers; otherwise the first route without `accepts` does.
 */
export interface ModelListRoute {
  readonly path: string;
  /** Whether this route answers the request (e.g. it carries `anthropic-version`). */
  accepts?(context: RequestContext): boolean;
  encode(models: readonly ModelEntry[], context: RequestContext): unknown;
  /** One model (`GET {path}/{id}`: OpenAI `models.retrieve`, Anthropic `models.retrieve`, Gemini `models.get`). */
  encodeOne?(model: ModelEntry, context: RequestContext): unknown;
}

/**
 * A wire id: the context's `newId` when it has one, else `prefix` + `length` random base62
 * characters (`randomId`, from a pooled buffer; a few per response, never per event).
 */
export function wireId(context: Pick<EncodeContext, 'newId'>, prefix: string, length = 24): string {
  return context.newId ? context.newId(prefix) : randomId(prefix, length);
}

/**
 * The clock of one answer (`EncodeContext.now`): the second it is first read, and that same second
 * on every later read. A response kept for retrieval shows the `completed_at` its client saw,
 * however often it is encoded and whichever of the encoder and the store reads it first.
 */
export function settledClock(read: () => number = Date.now): () => number {
  let second: number | undefined;
  return () => (second ??= Math.floor(read() / 1000));
}
