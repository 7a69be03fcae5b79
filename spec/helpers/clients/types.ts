import type { FinishReason, Usage } from '../../../lib/canonical/index.js';

/**
 * A small, protocol-neutral request that every client driver sends through its official SDK.
 * Drivers translate it into the SDK's own parameters, so one scenario runs against every
 * frontend (and, in the backend matrix, every frontend x backend pair).
 */
export type ClientMessage =
  | { readonly role: 'user'; readonly text: string; readonly images?: readonly ClientImage[] }
  | { readonly role: 'assistant'; readonly text?: string; readonly toolCalls?: readonly ClientToolCall[] }
  /** A tool result; `name` is the called tool (Gemini pairs results by name). */
  | { readonly role: 'tool'; readonly callId: string; readonly name: string; readonly content: string };

/** An image a user message carries inline (after its text), as each protocol writes one from data. */
export interface ClientImage {
  readonly mime: 'image/png' | 'image/jpeg';
  /** Base64. */
  readonly data: string;
}

export interface ClientTool {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Record<string, unknown>;
}

export interface ClientRequest {
  /** The model as the client names it (`backend:model` reaches that backend). */
  readonly model: string;
  readonly stream: boolean;
  readonly system?: string;
  readonly messages: readonly ClientMessage[];
  readonly tools?: readonly ClientTool[];
  readonly maxOutputTokens?: number;
  /** Sampling temperature (0 to 1, which every protocol takes). */
  readonly temperature?: number;
  /** Ask for visible reasoning with the protocol's own knob (effort + summary, thinking, includeThoughts). */
  readonly reasoning?: boolean;
  /** Extra HTTP headers (`X-LIP-Route`, ...). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ClientToolCall {
  readonly id: string;
  readonly name: string;
  /** Parsed arguments. */
  readonly args: unknown;
}

export interface ClientError {
  /** HTTP status (undefined for an in-band error some SDKs report without one). */
  readonly status?: number;
  readonly message: string;
  /** The protocol's error type (`api_error`, `INTERNAL`, ...). */
  readonly type?: string;
  /** OpenAI's `code` / Gemini's ErrorInfo reason: the lip error code. */
  readonly code?: string;
}

/**
 * What the SDK made of the response, normalised to canonical terms: usage in the canonical
 * (OpenAI) convention, finish reason in the canonical vocabulary. On failure `error` is set and
 * the content fields hold what arrived before it.
 */
export interface ClientResult {
  readonly text: string;
  /** The model's refusal, where the protocol has a place for one (the OpenAI protocols). */
  readonly refusal?: string;
  readonly reasoning: string;
  readonly toolCalls: readonly ClientToolCall[];
  readonly finishReason?: FinishReason;
  /** The protocol's own finish reason / status (`end_turn`, `MAX_TOKENS`, `incomplete`). */
  readonly rawFinishReason?: string;
  readonly usage?: Usage;
  readonly error?: ClientError;
  /** The SDK's final object (completion, Response, Message, last-chunk aggregate). */
  readonly raw?: unknown;
}

export interface ClientDriver {
  /** The frontend (protocol) id the driver speaks. */
  readonly id: string;
  /** Canonical usage counters the protocol can express (others read back as undefined). */
  readonly usageFields: readonly (keyof Usage)[];
  /** The protocol has a place for the model's refusal apart from its text (ClientResult.refusal). */
  readonly refusals?: true;
  /** Sends `request` to a lip server at `baseUrl` (e.g. `http://127.0.0.1:8080`, no path). */
  run(baseUrl: string, request: ClientRequest): Promise<ClientResult>;
}

/** Drops undefined fields, so that results compare with deep equality. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Parses tool arguments leniently (the SDKs hand them over as text or as objects). */
export function parseArgs(args: unknown): unknown {
  if (typeof args !== 'string') return args ?? {};
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}
