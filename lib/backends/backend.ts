import type { Observable, SchedulerLike } from 'rxjs';
import type { Call, EmbeddingRequest, EmbeddingResult, LipEvent } from '../canonical/index.js';
import type { FlowGate } from '../wire/index.js';
import type { LipError } from '../errors/index.js';
import type { KeyPoolView, SharedCooldowns } from './credentials/key-pool.js';
import type { KeyStates } from './credentials/key-states.js';
import type { SharedRenewals } from './credentials/shared-renewals.js';

/** What a backend attempt targets: the model on the wire, plus the candidate key for logs. */
export interface Target {
  /** The model id sent upstream. */
  readonly model: string;
  /** `backend:model[?query]`; keys circuits and lineage. */
  readonly candidateKey: string;
  /** The client's backpressure: a source that can pause its upstream does so while it is closed. */
  readonly flow?: FlowGate;
  /**
   * The client wants the complete answer at once and the plan needs no first token from this
   * attempt (no race, no TTFT budget): a backend may fetch it in one response instead of a
   * stream (see lib/core/whole-answer.ts). The events are the same either way.
   */
  readonly whole?: boolean;
  /**
   * The model's known output limit (`model_catalog` with `adapt.max_output_tokens`): a ceiling for
   * an output limit the backend picks itself (a default, or one raised above a thinking budget),
   * not a limit the client set (the catalog has already clamped that).
   */
  readonly outputCeiling?: number;
  /** Headers to add to the upstream request (`x-request-id`, the W3C trace context); the row's own headers win. */
  readonly requestHeaders?: Readonly<Record<string, string>>;
  /** Told the upstream's status and headers when it answers (its own request id, for the attempt row). */
  readonly onUpstreamResponse?: (status: number, headers: Readonly<Record<string, string | string[] | undefined>>) => void;
  /** Told when the upstream request waits for a connection and when it is dispatched. */
  readonly dispatch?: DispatchHooks;
  /**
   * The client's request headers (absent for a call lip makes on its own: an auxiliary call, a
   * replay), read by the identity carriers that pass the client's value through.
   */
  readonly clientHeaders?: ClientHeaders;
}

/** A client request's headers as node parsed them (names in lower case). */
export type ClientHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** How one identity carrier is presented upstream (`identity.upstream.*`, a row's `identity.*`). */
export interface IdentityPolicy {
  readonly mode: 'proxy' | 'passthrough' | 'custom' | 'drop';
  /** With `custom`. */
  readonly value?: string;
}

/** `identity.upstream`: the carriers every identity-presenting backend inherits unless its row overrides them. */
export interface UpstreamIdentityPolicy {
  readonly user_agent: IdentityPolicy;
  readonly app_url: IdentityPolicy;
  readonly app_title: IdentityPolicy;
}

/** The headers a kind sends app attribution in (a preset's: a vendor's names). */
export interface AppAttribution {
  readonly url: string;
  readonly title: string;
  /** Older names of the title header: a client may still send one, a row may still set one. */
  readonly titleAliases?: readonly string[];
}

/**
 * What an attempt learns about its upstream request before any answer: that it waits for a
 * connection (`http_client.connections_per_origin` are busy), and when it is dispatched. A
 * backend that never waits calls neither.
 */
export interface DispatchHooks {
  onQueued?(): void;
  onDispatch?(): void;
}

/**
 * How a backend hands reasoning back to its provider in later turns: the dialect it labels its
 * own unsigned reasoning text with (a Chat server's `reasoning_content`, a Gemini thought), and
 * the dialects its encoder replays (REASONING_DIALECTS; every other reasoning part is left out).
 */
export interface ReasoningReplay {
  readonly label: string;
  readonly replays: ReadonlySet<string>;
  /** It also replays plain reasoning text of any dialect (no signature, no opaque payload). */
  readonly plainText?: boolean;
}

/**
 * A configured backend. `stream()` is cold: subscribing starts the upstream request,
 * unsubscribing aborts it (the one cancellation mechanism). Failures are error notifications
 * carrying a LipError whose `retryable` tells routing whether it may move on.
 */
export interface Backend {
  readonly id: string;
  readonly kind: string;
  /** Static model inventory (configured or the kind's defaults). */
  readonly models: readonly string[];
  /** What reasoning it replays (absent: it hands none back, as an agent or the stub). */
  readonly reasoning?: ReasoningReplay;
  /**
   * The provider continues a call that ends with the assistant's own start (a prefill) from
   * exactly there: an answer that broke after output can be resumed on it
   * (`routing.resume_after_output`).
   */
  readonly prefill?: boolean;
  stream(call: Call, target: Target): Observable<LipEvent>;
  /** Releases pooled connections (config reload, shutdown). */
  close?(): Promise<void>;
  /** Its API key pool now (counts, never the keys); absent for a backend without one. */
  keyPool?(): KeyPoolView;
  /**
   * Milliseconds until one of its API keys is usable again when every key it has left is
   * cooling down after a 429 (a call now would send nothing and fail with
   * LIP_ERR_UPSTREAM_NO_CREDENTIALS); undefined when a key is usable, or it has none. Routing
   * asks it of every candidate before trying one, so it allocates nothing.
   */
  keysCoolingMs?(): number | undefined;
  /** Whether the keys keysCoolingMs() says are out are out because their quota is spent (an hour, not a rate limit's seconds). */
  keysQuotaSpent?(): boolean;
  /** Asks the upstream for its model list (`lip inventory --live`). */
  listModels?(signal?: AbortSignal): Promise<string[]>;
  /**
   * Counts the input tokens of `call` as this backend would send it to `model`, with its
   * protocol's own count call (Anthropic `count_tokens`, Gemini `:countTokens`, Responses
   * `input_tokens`). Absent when the protocol has none; undefined when the upstream answers that
   * it has no such endpoint (404, 405 or 501: an OpenAI-compatible server without it).
   * `requestHeaders` are lip's own for the upstream (`X-Request-Id`, the trace context).
   */
  readonly countTokens?: (call: Call, model: string, signal?: AbortSignal, client?: ClientHeaders, requestHeaders?: Readonly<Record<string, string>>) => Promise<number | undefined>;
  /**
   * The LipError a generation of `call` on `model` would be refused with before anything is sent
   * (its encoder's refusals: a hosted tool the protocol has no form for, ...), undefined when it
   * would go out; sends nothing. A backend without `countTokens` gives it, so that lip's estimate
   * of a call it would refuse is that refusal (handle-count-tokens.ts); a count call encodes the
   * call itself. Absent: nothing is refused before sending.
   */
  readonly refusal?: (call: Call, model: string) => LipError | undefined;
  /**
   * Embeds `request.inputs` with `model` in this backend's protocol (OpenAI `/embeddings`, Gemini
   * `:batchEmbedContents`, Bedrock InvokeModel). Absent when the protocol has no embeddings call
   * (a backend that has one may still refuse a model it cannot embed with). Failures reject
   * with a LipError whose `retryable` tells the embeddings handler whether to try the next
   * candidate; `signal` aborts the upstream request.
   */
  readonly embed?: (request: EmbeddingRequest, model: string, signal: AbortSignal, client?: ClientHeaders, requestHeaders?: Readonly<Record<string, string>>) => Promise<EmbeddingResult>;
  /**
   * Whether `embed` takes `model`, when the protocol knows which models embed (Bedrock: the
   * Titan and Cohere embedding families; others refuse before sending). Absent: any model, which
   * the upstream may still refuse. Model lists read it (Gemini's `embedContent` method).
   */
  readonly embedsWith?: (model: string) => boolean;
}

/** `http_client` settings (CONTRACT section 3); durations in milliseconds. */
export interface HttpClientSettings {
  readonly trust_environment_proxy: boolean;
  readonly connect_timeout: number;
  readonly headers_timeout: number;
  readonly body_timeout: number;
  /** Requests in flight per origin; more wait in lip's queue. Absent: no cap (undici's default). */
  readonly connections_per_origin?: number;
  /** The longest a request waits in that queue (DEFAULT_QUEUE_TIMEOUT_MS when absent). */
  readonly queue_timeout?: number;
  /** The longest upstream SSE/NDJSON line accepted (the parser's default when absent). */
  readonly max_line_bytes?: number;
}

/** Shared services handed to backend factories. */
export interface BackendDeps {
  /** Time source for delays (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  readonly env?: NodeJS.ProcessEnv;
  /** Upstream HTTP settings; the documented defaults when absent. */
  readonly http?: HttpClientSettings;
  /** `identity.upstream`; lip's product identity on every carrier when absent. */
  readonly identity?: UpstreamIdentityPolicy;
  /**
   * Reads an API key pool from the environment: `NAME`, then `NAME_2` ... `NAME_32` (CONTRACT
   * section 6). Injected by the runtime so that backends never import configuration code.
   */
  readonly readEnvPool?: (name: string) => string[];
  /** Where API key pools share their keys' cool-downs with other instances (absent: each process alone). */
  readonly cooldowns?: SharedCooldowns;
  /** Where API key pools keep their keys' states (the runtime's: carried across reloads; absent: each pool its own). */
  readonly keyStates?: KeyStates;
  /** Where renewable credentials (a Codex login) are renewed once for the processes that hold them (`lip serve --workers`; absent: this process alone). */
  readonly renewals?: SharedRenewals;
}

export interface BackendRow {
  readonly id: string;
  readonly kind: string;
  readonly models: readonly string[];
  readonly [key: string]: unknown;
}

/**
 * What a kind or a preset of it supplies beyond the row: the environment variable of its
 * default key pool (a kind with one requires a key; without one, keys are optional) and the
 * models it reports when the row lists none.
 */
export interface KindDefaults {
  readonly keyEnv?: string;
  readonly models: readonly string[];
  /** The headers of the vendor's app attribution (a preset's), sent by the identity policy. */
  readonly attribution?: AppAttribution;
}

/** Builds a backend of one protocol for a row; presets call it with their own defaults. */
export type BackendFactory = (row: BackendRow, deps: BackendDeps, defaults: KindDefaults) => Backend;

/** One backend kind: how its config rows look and how to build a Backend from one. */
export interface BackendKind {
  readonly kind: string;
  /** JSON Schema properties of the kind-specific row keys. */
  readonly properties: Record<string, Record<string, unknown>>;
  /** Model used for a derived default route when the row lists none. */
  readonly defaultModel?: string;
  /** Row keys this kind needs besides `id` and `kind` (`base_url` for a custom endpoint). */
  readonly required?: readonly string[];
  /** Row rules a schema cannot say (which keys go together); the problem and its key, or undefined. */
  checkRow?(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined;
  /** The environment variable of its default key pool (`OPENAI_API_KEY`); absent for keyless kinds. */
  readonly keyEnv?: string;
  /**
   * For a kind whose credentials come from several places (openai-codex: the row, two variables,
   * auth.json): why a row has none usable with this environment, or undefined when it has.
   */
  credentialProblem?(row: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv, readEnvPool: (name: string) => string[]): string | undefined;
  /**
   * The kind spawns local processes or reads the machine's own credentials (a CLI agent over
   * stdio, a login stored in the home directory): config load refuses it in multi_user mode.
   */
  readonly local?: boolean;
  /**
   * The kind presents lip's identity upstream (`identity.upstream`: its `User-Agent`, and with
   * `attribution` the app's URL and title), so its rows take an `identity` override. Absent for
   * kinds that present an identity of their own (openai-codex) or send no HTTP (localstub, acp).
   */
  readonly identity?: { readonly attribution?: AppAttribution };
  /**
   * The provider id in the model catalog (models.dev) whose models this kind serves at its
   * default endpoint (`model_catalog`); absent for local and custom endpoints. A row with
   * another `base_url` serves someone else's models and matches by model name instead.
   */
  readonly catalogProvider?: string;
  /** Its backends take a prefill (Backend.prefill), for the `routing.resume_after_output` check. */
  readonly prefill?: boolean;
  /** Its backends have an embeddings call (Backend.embed), for a replay's substitutes of them. */
  readonly embeds?: boolean;
  create(row: BackendRow, deps: BackendDeps): Backend;
}
