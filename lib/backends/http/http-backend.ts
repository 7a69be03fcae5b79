import { throwError } from 'rxjs/internal/observable/throwError';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { Observable } from 'rxjs';
import { embeddingProblem, type Call, type EmbeddingRequest, type EmbeddingResult, type LipEvent } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { deadline } from '../../wire/deadline.js';
import type { AppAttribution, Backend, BackendDeps, BackendRow, ClientHeaders, ReasoningReplay, Target } from '../backend.js';
import { KeyPool, keyScope, keySourceHint, keysFromRow, type KeyPoolView } from '../credentials/index.js';
import { customCallsFromFunctions, customToolsAsFunctions } from '../custom-tools.js';
import { originalToolNames, portableToolNames } from '../tool-names.js';
import { portableCallIds, type CallIdRule } from '../call-ids.js';
import { searchResultsAsText } from '../search-results.js';
import { documentContextAsText } from '../document-context.js';
import { toolReferencesAsText } from '../tool-references.js';
import { namespacedCallsFromFunctions, namespacesAsFunctions } from '../tool-namespaces.js';
import { declareAddedTools } from '../added-tools.js';
import { mediaUrlRefusal } from '../media-refusal.js';
import { refusalOf } from '../refusal-of.js';
import { continuePausedTurns, continueResumedAnswers, type PausedTurns } from '../continue-turn.js';
import { classifyTransportError } from './classify-transport-error.js';
import { KeyRotation, type KeyRefusals } from './key-rotation.js';
import { retryAfterMs, type HeaderMap } from './parse-retry-after.js';
import { parseJsonOrUndefined, readBodyText } from './read-body-text.js';
import { DEFAULT_HTTP_SETTINGS, UpstreamClient, type UpstreamRequest } from './upstream-client.js';
import type { ResponseDecoder } from './read-whole-response.js';
import { upstreamSource, type BodyFramer, type ReadOptions, type StreamDecoder } from './upstream-source.js';
import { DEFAULT_UPSTREAM_IDENTITY, UpstreamIdentity } from './upstream-identity.js';

/**
 * What a kind folder supplies to become an HTTP backend: its request encoding, its stream and
 * whole-response decoding, its error classification and its model list. Everything else (pooling, keys,
 * cancellation, timeouts, proxies) is shared.
 */
export interface HttpProtocol {
  /** The kind's default key variable (`OPENAI_API_KEY`); undefined for keyless endpoints. */
  readonly defaultKeyEnv?: string;
  /** Whether a request without any key fails at once (hosted APIs) or goes out without one. */
  readonly requiresKey: boolean;
  /**
   * The kind presents lip's identity upstream (`identity.upstream`, the row's `identity`; with
   * `attribution`, the app's URL and title too). Absent: the kind's own headers say who calls.
   */
  readonly identity?: { readonly attribution?: AppAttribution };
  /** The reasoning the protocol hands back to its provider (Backend.reasoning). */
  readonly reasoning?: ReasoningReplay;
  /** The provider continues a prefilled assistant answer (Backend.prefill). */
  readonly prefill?: boolean;
  /** The kind's own key list (openai-codex: access tokens, auth.json) instead of the row's keys. */
  readonly keys?: readonly string[];
  /** Where those keys come from, for the "no key" message. */
  readonly keyHint?: string;
  /**
   * Renews the credential of `key` after a 401 or 403 (an OAuth refresh through this backend's
   * own client; Bedrock: a SigV4 signature made again at AWS's time after a clock skew): true
   * when a fresh one is in place, the error when renewing failed, undefined
   * when there is nothing to renew. Asked once per attempt; `sent` is the request that was
   * refused (a credential renewed since it went out needs no renewal of its own).
   */
  renew?(key: string | undefined, status: number, client: UpstreamClient, signal: AbortSignal, sent: UpstreamRequest): Promise<true | LipError | undefined>;
  /**
   * The error of a call whose renewed credential `key` was refused again (KeyRefusals): such a
   * key is never retired. Undefined: `key` is not renewable, and is retired as any key.
   */
  refusedAfterRenewal?(key: string, status: number): LipError | undefined;
  /** Models reported when the row lists none (static inventory). */
  readonly defaultModels: readonly string[];
  /**
   * The protocol takes custom (freeform) tools as they are (OpenAI Responses and Chat). When
   * false or absent they go out as function tools and come back as custom calls (custom-tools.ts).
   */
  readonly customTools?: boolean;
  /**
   * The protocol takes search-result blocks as they are (Anthropic). When false or absent they
   * go out as text parts (search-results.ts).
   */
  readonly searchResults?: boolean;
  /**
   * The protocol takes what the client says about a document beside it (FilePart.context:
   * Anthropic's document `context`). When false or absent it goes out as a text part before the
   * document (document-context.ts).
   */
  readonly documentContext?: boolean;
  /**
   * The protocol takes tool references in tool results (Anthropic's `tool_reference`, with
   * deferred tools). When false or absent they go out as text parts (tool-references.ts).
   */
  readonly toolReferences?: boolean;
  /**
   * The protocol takes tool namespaces and a client's tool search as they are (OpenAI Responses).
   * When false or absent namespaced tools go out under flat names and come back namespaced, the
   * tool search as a function tool, no tool deferred (tool-namespaces.ts).
   */
  readonly toolNamespaces?: boolean;
  /**
   * The protocol takes tools added in the course of the conversation in place (OpenAI Responses'
   * `additional_tools` items, HostedToolPart.tools). When false or absent they are declared with
   * the call's tools and the items left out (added-tools.ts).
   */
  readonly addedTools?: boolean;
  /**
   * What the provider takes as a history call's id (call-ids.ts): another provider's that does
   * not fit goes out under one that does. Absent: any id, as it is.
   */
  readonly callIds?: CallIdRule;
  /** A provider that pauses long turns of hosted tools: such a pause is continued (continue-turn.ts). */
  readonly pausedTurns?: PausedTurns;
  /**
   * The call that resumes an answer the provider stopped with a token (ResponseFinishedEvent.resume:
   * Gemini's CONTINUATION): the answer is resumed for the client (continueResumedAnswers).
   */
  readonly resumedAnswer?: (call: Call, token: string) => Call;
  /**
   * The generation request for one call, model and key: streamed, or non-streamed when
   * `target.whole` is set and the protocol has a `response` decoder.
   */
  generate(call: Call, target: Target, key: string | undefined): UpstreamRequest | Promise<UpstreamRequest>;
  decoder(call: Call, target: Target, secrets: readonly string[]): StreamDecoder<any>;
  /** How a streamed body is cut into the decoder's messages (SSE when absent). */
  framer?(): BodyFramer<unknown>;
  /** Decodes a non-streamed answer (the kind's decode-response.ts) into the same events. */
  response?(call: Call, target: Target, secrets: readonly string[]): ResponseDecoder;
  /** Whether a call may be answered whole (default: yes); a kind keeps its long generations streamed. */
  acceptsWhole?(call: Call): boolean;
  /** A non-2xx answer as a LipError (the kind's classify-error.ts); `secrets` are masked out. */
  statusError(status: number, bodyText: string, headers: HeaderMap, retryAfterMs: number | undefined, secrets: readonly string[]): LipError;
  /**
   * Whether an answer other than a 401 says the key sent is refused, so that the key pool retires
   * it (Bedrock refuses a bad API key with a 403); a 401 always does.
   */
  keyRejected?(status: number, error: LipError): boolean;
  /**
   * The generation body of `call` for `model`, nothing sent: it throws what `generate` would
   * refuse the call with (Backend.refusal). A kind without a count call gives it, so that a
   * count of a call it would refuse is that refusal rather than lip's estimate.
   */
  encode?(call: Call, model: string): unknown;
  /**
   * The protocol's token-count call for a call as `generate` would encode it (only the fields the
   * count endpoint takes), and where its answer holds the count.
   */
  readonly countTokens?: {
    request(call: Call, model: string, key: string | undefined): UpstreamRequest | Promise<UpstreamRequest>;
    parse(body: unknown): number | undefined;
    /** Whether an error answer says the model cannot count (then lip estimates), beside 404, 405 and 501 (no such endpoint). */
    unsupported?(status: number, bodyText: string): boolean;
  };
  /**
   * The protocol's embeddings call: the request for some inputs, and the answer read as one
   * vector per input (undefined when it holds none), both for `model` (bedrock: the model's
   * family decides the body and the answer). `maxInputs`: the most inputs one call takes, or
   * that number for a model; more go out in several calls, one after the other.
   */
  readonly embed?: {
    request(request: EmbeddingRequest, model: string, key: string | undefined): UpstreamRequest | Promise<UpstreamRequest>;
    parse(body: unknown, model: string): EmbeddingResult | undefined;
    readonly maxInputs?: number | ((model: string) => number);
    /** Whether it can embed with `model` (Bedrock: a model of a family it knows); absent: any model, the upstream decides. */
    takes?(model: string): boolean;
  };
  /** The model-list request and how to read its answer (`lip inventory --live`). */
  readonly models?: {
    request(key: string | undefined): UpstreamRequest | Promise<UpstreamRequest>;
    /** The ids, or undefined when the answer is not a model list (no list array). */
    parse(body: unknown): string[] | undefined;
  };
}

/**
 * A Backend over HTTP: one pooled undici client per backend row, its key pool, and one cold
 * `upstreamSource` per attempt. With `target.whole` the request asks for one JSON answer
 * (`stream: false`, Gemini `:generateContent`) and the kind's response decoder reads it. A row
 * with `media_urls: refuse` sends no image or document given by URL: such a generation is
 * refused before anything is sent (mediaUrlRefusal), and its token count is left to lip.
 *
 * ```ts
 * const backend = new HttpBackend(row, deps, 'openai-chat', openaiChatProtocol(row));
 * backend.stream(call, { model: 'gpt-4o', candidateKey: 'openai:gpt-4o' }).subscribe(...)
 * ```
 * @see spec/backends/http/http-backend.spec.ts
 */
export class HttpBackend implements Backend {
  readonly id: string;
  readonly models: readonly string[];
  readonly reasoning: ReasoningReplay | undefined;
  readonly prefill: boolean;
  private readonly client: UpstreamClient;
  private readonly maxLineBytes: number | undefined;
  /** How long a whole answer's headers may take: they come once the upstream has generated everything. */
  private readonly wholeHeadersTimeout: number;
  /** `http_client.body_timeout` as lip counts it: between the events a body yields. */
  private readonly bodyTimeout: NonNullable<ReadOptions['bodyTimeout']>;
  private readonly pool: KeyPool;
  /** What refuses a key of the pool, for every call: a generation's, a count's, an embeddings call's. */
  private readonly refusals: KeyRefusals;
  private readonly hint: string;
  private readonly now: () => number;
  /** What the backend says it is upstream; undefined when the kind's own headers say it. */
  private readonly identity: UpstreamIdentity | undefined;
  /** The row says `media_urls: refuse`: the backend as a refusal names it; undefined when it passes them. */
  private readonly refusesMediaUrls: string | undefined;
  readonly countTokens?: (call: Call, model: string, signal?: AbortSignal, client?: ClientHeaders, requestHeaders?: Readonly<Record<string, string>>) => Promise<number | undefined>;
  readonly refusal?: (call: Call, model: string) => LipError | undefined;
  readonly embed?: (request: EmbeddingRequest, model: string, signal: AbortSignal, client?: ClientHeaders, requestHeaders?: Readonly<Record<string, string>>) => Promise<EmbeddingResult>;
  readonly embedsWith?: (model: string) => boolean;

  constructor(row: BackendRow, deps: BackendDeps, readonly kind: string, private readonly protocol: HttpProtocol) {
    this.id = row.id;
    this.models = row.models.length > 0 ? row.models : protocol.defaultModels;
    this.reasoning = protocol.reasoning;
    this.prefill = protocol.prefill === true;
    this.refusesMediaUrls = row.media_urls === 'refuse' ? `${row.kind} backend "${row.id}"` : undefined;
    this.identity = protocol.identity ? new UpstreamIdentity(deps.identity ?? DEFAULT_UPSTREAM_IDENTITY, row, protocol.identity.attribution) : undefined;
    this.client = new UpstreamClient(deps.http ?? DEFAULT_HTTP_SETTINGS, deps.env ?? {}, row.id, this.identity?.fixed, deps.scheduler);
    this.maxLineBytes = deps.http?.max_line_bytes;
    const http = deps.http ?? DEFAULT_HTTP_SETTINGS;
    this.wholeHeadersTimeout = Math.max(http.headers_timeout, http.body_timeout);
    const scheduler = deps.scheduler ?? asyncScheduler;
    this.now = () => scheduler.now();
    this.bodyTimeout = { ms: http.body_timeout, scheduler };
    const states = deps.keyStates;
    const scope = keyScope(row);
    this.pool = new KeyPool(protocol.keys ?? keysFromRow(row, deps, protocol.defaultKeyEnv), this.now, {
      ...(deps.cooldowns ? { cooldowns: deps.cooldowns, backendId: row.id } : {}),
      ...(states ? { stateOf: (fingerprint: string) => states.of(scope, fingerprint) } : {}),
    });
    this.hint = protocol.keyHint ?? keySourceHint(row, protocol.defaultKeyEnv);
    this.refusals = {
      backendId: row.id,
      ...(protocol.keyRejected ? { keyRejected: (status: number, error: LipError) => protocol.keyRejected!(status, error) } : {}),
      ...(protocol.renew ? { renew: (key: string | undefined, status: number, signal: AbortSignal, sent: UpstreamRequest) => protocol.renew!(key, status, this.client, signal, sent) } : {}),
      ...(protocol.refusedAfterRenewal ? { refusedAfterRenewal: (key: string, status: number) => protocol.refusedAfterRenewal!(key, status) } : {}),
    };
    const count = protocol.countTokens;
    if (count) this.countTokens = (call, model, signal, client, requestHeaders) => this.count(count, call, model, signal, { client, requestHeaders });
    const encode = protocol.encode;
    if (encode) this.refusal = (call, model) => refusalOf(() => encode(this.sendable(call), model));
    const embed = protocol.embed;
    if (embed) this.embed = (request, model, signal, client, requestHeaders) => this.embedAll(embed, request, model, signal, { client, requestHeaders });
    if (embed?.takes) this.embedsWith = (model) => embed.takes!(model);
  }

  stream(given: Call, target: Target): Observable<LipEvent> {
    const refused = this.refusedMedia(given);
    if (refused !== undefined) return throwError(() => refused);
    const declared = this.protocol.addedTools === true ? given : declareAddedTools(given);
    const flat = this.protocol.toolNamespaces === true ? declared : namespacesAsFunctions(declared);
    const portable = portableToolNames(flat);
    const call = this.readable(portableCallIds(portable, this.protocol.callIds));
    const pausing = this.protocol.pausedTurns;
    const run = (turn: Call) => this.turn(turn, target);
    const resumed = this.protocol.resumedAnswer;
    const sent = pausing !== undefined && pausing.applies(call) ? continuePausedTurns(call, run, pausing)
      : resumed !== undefined ? continueResumedAnswers(call, run, resumed) : run(call);
    const events = portable === flat ? sent : sent.pipe(originalToolNames(flat));
    return flat === declared ? events : events.pipe(namespacedCallsFromFunctions(declared));
  }

  /** The refusal of a call that gives media by URL, when the row refuses them. */
  private refusedMedia(call: Call): LipError | undefined {
    return this.refusesMediaUrls === undefined ? undefined : mediaUrlRefusal(this.refusesMediaUrls, call);
  }

  /** `call` with the search results, document contexts and tool references the protocol has no place for as text. */
  private readable(call: Call): Call {
    const searched = this.protocol.searchResults === true ? call : searchResultsAsText(call);
    const described = this.protocol.documentContext === true ? searched : documentContextAsText(searched);
    return this.protocol.toolReferences === true ? described : toolReferencesAsText(described);
  }

  /** One upstream call for `call`, custom tools as functions when the protocol has none. */
  private turn(call: Call, target: Target): Observable<LipEvent> {
    if (this.protocol.customTools === true) return this.send(call, target);
    const sent = customToolsAsFunctions(call);
    return sent === call ? this.send(call, target) : this.send(sent, target).pipe(customCallsFromFunctions(call));
  }

  /** One attempt of `call` as the protocol encodes it. */
  private send(call: Call, target: Target): Observable<LipEvent> {
    const protocol = this.protocol;
    // A whole answer only when the kind can decode one and takes this call so; otherwise it streams.
    const whole = target.whole === true && protocol.response !== undefined && (protocol.acceptsWhole?.(call) ?? true);
    const attempt = target.whole === true && !whole ? { ...target, whole: false } : target;
    const extra = this.clientExtra(target.requestHeaders, target.clientHeaders);
    const generate = extra === undefined ? (key: string | undefined) => protocol.generate(call, attempt, key) : (key: string | undefined) => withHeaders(protocol.generate(call, attempt, key), extra);
    return upstreamSource(this.client, {
      // A streamed answer's headers come at once and its chunks keep coming (body_timeout between
      // two); a whole answer is silent until it is complete, so its headers get that same allowance.
      request: whole ? async (key) => ({ ...await generate(key), headersTimeout: this.wholeHeadersTimeout }) : generate,
      ...(target.onUpstreamResponse ? { onResponse: target.onUpstreamResponse } : {}),
      decoder: () => protocol.decoder(call, attempt, this.pool.secrets),
      ...(protocol.framer ? { framer: protocol.framer } : {}),
      ...(whole ? { response: () => protocol.response!(call, attempt, this.pool.secrets) } : protocol.response ? { answerDecoder: () => protocol.response!(call, attempt, this.pool.secrets) } : {}),
      statusError: (status, text, headers, wait) => protocol.statusError(status, text, headers, wait, this.pool.secrets),
      ...this.refusals,
    }, { pool: this.pool, required: this.protocol.requiresKey, hint: this.hint, now: this.now }, {
      ...(target.flow ? { flow: target.flow } : {}),
      ...(target.dispatch ? { dispatch: target.dispatch } : {}),
      ...(this.maxLineBytes !== undefined ? { maxLineBytes: this.maxLineBytes } : {}),
      bodyTimeout: this.bodyTimeout,
    });
  }

  /** One request for the upstream's model list, with the first usable key. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const models = this.protocol.models;
    if (!models) throw new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `backend "${this.id}" (${this.kind}) cannot list its models`);
    const own = signal === undefined ? deadline(UNARY_TIMEOUT_MS) : undefined;
    try {
      const ids = models.parse(await this.unary((key) => models.request(key), signal ?? own!.signal, 'the model list'));
      if (ids === undefined) throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${this.id}": the model list has no data array`);
      return ids;
    } finally {
      own?.clear();
    }
  }

  /** One token count, with the first usable key; undefined when the upstream has no count endpoint (or the row refuses the call's media URLs). */
  private async count(count: NonNullable<HttpProtocol['countTokens']>, call: Call, model: string, signal: AbortSignal | undefined, headers: CallHeaders = {}): Promise<number | undefined> {
    // Media by URL the row refuses are not sent for a count either: lip estimates it.
    if (this.refusedMedia(call) !== undefined) return undefined;
    const sent = this.sendable(call);
    const own = signal === undefined ? deadline(UNARY_TIMEOUT_MS) : undefined;
    let body: unknown;
    try {
      body = await this.unary((key) => count.request(sent, model, key), signal ?? own!.signal, 'the token count', { absent: (status, text) => NO_COUNT_ENDPOINT.has(status) || count.unsupported?.(status, text) === true, ...headers });
    } finally {
      own?.clear();
    }
    if (body === undefined) return undefined;
    const tokens = count.parse(body);
    if (tokens === undefined) throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${this.id}": the token count holds no count`);
    return tokens;
  }

  /** `call` as one upstream request of a generation holds it: custom tools as the function tools it would send, and so on. */
  private sendable(call: Call): Call {
    const declared = this.protocol.addedTools === true ? call : declareAddedTools(call);
    const read = this.readable(portableCallIds(portableToolNames(this.protocol.toolNamespaces === true ? declared : namespacesAsFunctions(declared)), this.protocol.callIds));
    return this.protocol.customTools === true ? read : customToolsAsFunctions(read);
  }

  /** The vectors of `request`, in calls of at most `maxInputs` inputs each (their token counts add up). */
  private async embedAll(embed: NonNullable<HttpProtocol['embed']>, request: EmbeddingRequest, model: string, signal: AbortSignal, client: CallHeaders): Promise<EmbeddingResult> {
    const size = (typeof embed.maxInputs === 'function' ? embed.maxInputs(model) : embed.maxInputs) ?? request.inputs.length;
    if (request.inputs.length <= size) return this.embedOnce(embed, request, model, signal, client);
    const parts: string[][] = [];
    for (let at = 0; at < request.inputs.length; at += size) parts.push(request.inputs.slice(at, at + size));
    const results = await this.embedParts(embed, request, parts, model, signal, client);
    const vectors: (readonly number[])[] = [];
    let inputTokens: number | undefined = 0;
    let served: string | undefined;
    for (const result of results) {
      for (const vector of result.vectors) vectors.push(vector);
      inputTokens = inputTokens === undefined || result.inputTokens === undefined ? undefined : inputTokens + result.inputTokens;
      served ??= result.model;
    }
    return { vectors, ...(inputTokens !== undefined ? { inputTokens } : {}), ...(served !== undefined ? { model: served } : {}) };
  }

  /**
   * The calls for `parts`, at most EMBED_CALLS_IN_FLIGHT at a time (one text per call would
   * otherwise take one round trip per text: 2,048 texts outlast the request), their results in
   * the parts' order; the first failure aborts the calls still running and is the answer.
   */
  private async embedParts(embed: NonNullable<HttpProtocol['embed']>, request: EmbeddingRequest, parts: readonly string[][], model: string, signal: AbortSignal, client: CallHeaders): Promise<EmbeddingResult[]> {
    const results: EmbeddingResult[] = new Array(parts.length);
    const failed = new AbortController();
    const linked = AbortSignal.any([signal, failed.signal]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < parts.length && !linked.aborted) {
        const i = next++;
        results[i] = await this.embedOnce(embed, { ...request, inputs: parts[i]! }, model, linked, client);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(EMBED_CALLS_IN_FLIGHT, parts.length) }, worker));
    } catch (err) {
      failed.abort();
      throw err;
    }
    signal.throwIfAborted(); // aborted between two calls: the parts after it were never asked for
    return results;
  }

  /** One embeddings call; an answer without one vector per input is malformed (never vectors out of place). */
  private async embedOnce(embed: NonNullable<HttpProtocol['embed']>, request: EmbeddingRequest, model: string, signal: AbortSignal, headers: CallHeaders): Promise<EmbeddingResult> {
    const body = await this.unary((key) => embed.request(request, model, key), signal, 'the embeddings answer', { limit: MAX_EMBEDDINGS_BODY_BYTES, ...headers });
    const result = embed.parse(body, model);
    const problem = result === undefined ? 'it holds no vectors' : embeddingProblem(request, result);
    if (result === undefined || problem !== undefined) throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${this.id}": the embeddings answer does not fit the request (${problem})`);
    return result;
  }

  /**
   * One request and its JSON answer (not a generation: no stream). Its keys rotate as a
   * generation's do (KeyRotation): a 401 retires the key, a 429 cools it down, and the same
   * call goes out with the next key. `absent`: an error answer that means the upstream has no
   * such call (then undefined); `limit`: the most bytes of the answer read.
   */
  private async unary(build: (key: string | undefined) => UpstreamRequest | Promise<UpstreamRequest>, signal: AbortSignal, what: string, options: UnaryOptions = {}): Promise<unknown> {
    const { absent, limit = MAX_ANSWER_BYTES } = options;
    const extra = this.clientExtra(options.requestHeaders, options.client);
    const keys = new KeyRotation({ pool: this.pool, required: this.protocol.requiresKey, hint: this.hint, now: this.now }, this.refusals);
    for (;;) {
      const lease = keys.next();
      const request = extra === undefined ? await build(lease?.key) : await withHeaders(build(lease?.key), extra);
      let text: string;
      let status: number;
      let headers: HeaderMap;
      try {
        const response = await this.client.open(request, signal);
        status = response.statusCode;
        headers = response.headers;
        text = await readBodyText(response.body, limit);
      } catch (err) {
        // The caller's deadline passed (an upstream that took the connection and never answered):
        // a timeout, not an upstream that cannot be reached.
        if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
          throw new LipError('LIP_ERR_UPSTREAM_HEADERS_TIMEOUT', `backend "${this.id}": ${what} did not come in time`, { cause: err, detail: { backend: this.id } });
        }
        throw classifyTransportError(err, this.id, 'connect');
      }
      if (status >= 200 && status < 300) {
        const body = parseJsonOrUndefined(text);
        if (body === undefined) throw new LipError('LIP_ERR_UPSTREAM_MALFORMED', `backend "${this.id}": ${what} is not JSON`);
        return body;
      }
      if (absent?.(status, text)) return undefined;
      const wait = retryAfterMs(headers, this.now());
      const error = this.protocol.statusError(status, text, headers, wait, this.pool.secrets);
      if (!await keys.retry({ lease, sent: request, status, error, wait }, signal)) throw error;
    }
  }

  /** The headers a request adds to its own: `requestHeaders`, and the client's identity values that pass through. */
  private clientExtra(requestHeaders: Readonly<Record<string, string>> | undefined, client: ClientHeaders | undefined): Readonly<Record<string, string | undefined>> | undefined {
    const passed = this.identity?.forClient(client);
    return passed === undefined ? requestHeaders : { ...passed, ...requestHeaders };
  }

  keyPool(): KeyPoolView {
    return this.pool.view();
  }

  keysCoolingMs(): number | undefined {
    const wait = this.pool.recoveryMs();
    return wait !== undefined && wait > 0 ? wait : undefined;
  }

  keysQuotaSpent(): boolean {
    return this.pool.quotaSpent();
  }

  close(): Promise<void> {
    this.pool.close();
    return this.client.close();
  }
}

interface UnaryOptions {
  readonly absent?: (status: number, bodyText: string) => boolean;
  readonly limit?: number;
  /** The client's headers when the call is made for a client's request (its passthrough identity). */
  readonly client?: ClientHeaders | undefined;
  /** Headers of lip's own for the upstream (`X-Request-Id`, the trace context). */
  readonly requestHeaders?: Readonly<Record<string, string>> | undefined;
}

/** The headers an embeddings call or a token count adds to its upstream requests: the client's that pass through, and lip's own. */
type CallHeaders = Pick<UnaryOptions, 'client' | 'requestHeaders'>;

/** How many embeddings calls of one request run at once when its inputs take several calls. */
const EMBED_CALLS_IN_FLIGHT = 4;

/** The bound of a model list or token count whose caller gives no signal of its own. */
const UNARY_TIMEOUT_MS = 30_000;

/** The most of a unary answer that is read (a model list, a token count). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** The most of an embeddings answer that is read: 2,048 vectors of 3,072 values are about 33 MiB in base64, 80 MiB as JSON numbers. */
const MAX_EMBEDDINGS_BODY_BYTES = 96 * 1024 * 1024;

/** Statuses that say an upstream has no such endpoint (OpenAI-compatible servers without a token count). */
const NO_COUNT_ENDPOINT: ReadonlySet<number> = new Set([404, 405, 501]);

/** The request with `extra` headers added under its own (a row's configured header wins; an undefined one is not sent). */
function withHeaders(request: UpstreamRequest | Promise<UpstreamRequest>, extra: Readonly<Record<string, string | undefined>>): UpstreamRequest | Promise<UpstreamRequest> {
  // A signed request (bedrock) is built asynchronously; the extra headers are not signed (SigV4 allows that).
  return request instanceof Promise ? request.then((r) => withHeaders(r, extra)) : { ...request, headers: { ...extra, ...request.headers } };
}
