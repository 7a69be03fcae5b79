import { countAt, pick } from '../count-tokens.js';
import type { Backend, BackendDeps, BackendRow, KindDefaults } from '../backend.js';
import { HttpBackend, type HttpProtocol, type UpstreamRequest } from '../http/index.js';
import { presentedIdentity } from '../http/index.js';
import { modelUrlPath } from '../http/model-url-path.js';
import { classifyBedrockStatus, keyRefused, staleCredentials } from './classify-error.js';
import { bedrockEmbedMaxInputs, bedrockEmbedModel, invokeModelBody, readInvokeModelEmbeddings } from './embeddings.js';
import { BedrockCredentials, type ChainFactory } from './credentials.js';
import { ClockSkew } from './clock-skew.js';
import { BedrockResponseDecoder } from './decode-response.js';
import { BedrockStreamDecoder } from './decode-stream.js';
import { encodeBedrockRequest } from './encode-request.js';
import { EventStreamFramer } from './event-stream-framer.js';
import { bedrockOptions, bedrockPlace, type BedrockPlace } from './options.js';
import { regionOf } from './region.js';
import { signRequest } from './sign-request.js';
import { ANTHROPIC_REASONING } from '../reasoning-replay.js';

/** The environment variable of a Bedrock API key, as the AWS SDKs read it. */
export const BEDROCK_KEY_ENV = 'AWS_BEARER_TOKEN_BEDROCK';

/**
 * A model id as one path segment, the way the AWS SDKs put it there: every reserved character
 * percent-encoded once (`:` -> `%3A`, `/` of an ARN -> `%2F`, and `!'()*`); a model `.` or `..`
 * is a 400 (it would name `/model/` itself or what is above it).
 */
export function modelSegment(backend: string, model: string): string {
  return modelUrlPath(backend, model, { nested: false });
}

/** What CountTokens takes of a Converse request (`input.converse`). */
const COUNTED_FIELDS = ['messages', 'system', 'toolConfig', 'additionalModelRequestFields'] as const;

/** `{"modelSummaries": [{"modelId": "anthropic.claude-..."}]}` (ListFoundationModels) -> ids; undefined when it has no `modelSummaries` array. */
export function parseFoundationModels(body: unknown): string[] | undefined {
  const list = (body as { modelSummaries?: unknown } | undefined)?.modelSummaries;
  if (!Array.isArray(list)) return undefined;
  return list.map((m) => (m as { modelId?: unknown })?.modelId).filter((id): id is string => typeof id === 'string').sort();
}

/**
 * Signs (SigV4 over credentials resolved for this request, at the backend's corrected time:
 * ClockSkew) or, with a Bedrock API key, sends the key as a bearer token.
 */
async function authorize(region: string, credentials: BedrockCredentials, skew: ClockSkew, request: UpstreamRequest, key: string | undefined): Promise<UpstreamRequest> {
  if (key !== undefined) return { ...request, headers: { ...request.headers, authorization: `Bearer ${key}` } };
  const resolved = await credentials.resolve();
  const { method, url, headers, body } = request;
  // The protocol's own requests name every header they send (the upstream client adds the identity after signing).
  const signed = await signRequest({ method, url, headers: headers as Readonly<Record<string, string>>, ...(body !== undefined ? { body } : {}), region, credentials: resolved, date: skew.now() });
  return { ...request, headers: signed.headers };
}

/**
 * Bedrock over HTTP through lip's own undici client: `POST {runtime}/model/{id}/converse-stream`
 * (an AWS event stream, cut by EventStreamFramer), or `/converse` (one JSON answer) when the
 * attempt is `whole`; embeddings from InvokeModel, `POST {runtime}/model/{id}/invoke` (Titan one
 * text per call, Cohere up to 96: embeddings.ts); `GET {control}/foundation-models` for
 * `lip inventory --live`. Every call is signed (or carries the API key) the same way, in the
 * row's region (else the environment's, else us-east-1: regionOf).
 */
export function bedrockProtocol(row: BackendRow, deps: BackendDeps, defaults: KindDefaults, chain?: ChainFactory): HttpProtocol {
  const env = deps.env ?? {};
  const o = bedrockOptions(row, env);
  const credentials = new BedrockCredentials(row.id, o.staticCredentials, chain);
  const skew = new ClockSkew(row.id);
  const region = regionOf(o.region);
  /** The request `at` builds for the backend's endpoints, signed (or carrying `key`). */
  const sign = async (at: (place: BedrockPlace) => UpstreamRequest, key: string | undefined) => {
    const place = bedrockPlace(o, await region());
    return authorize(place.region, credentials, skew, at(place), key);
  };
  const maxFrame = deps.http?.max_line_bytes;
  // A static secret and session token are masked out of upstream messages like API keys are.
  const own = o.staticCredentials ? [o.staticCredentials.secretAccessKey, ...(o.staticCredentials.sessionToken ? [o.staticCredentials.sessionToken] : [])] : [];
  const masked = (secrets: readonly string[]) => (own.length > 0 ? [...secrets, ...own] : secrets);
  return {
    // Static keys on the row win over a bearer token in the environment.
    ...(o.staticCredentials ? {} : { defaultKeyEnv: BEDROCK_KEY_ENV }),
    requiresKey: false,
    identity: presentedIdentity(defaults),
    reasoning: ANTHROPIC_REASONING,
    // Converse continues a trailing assistant message (Claude and Nova models).
    prefill: true,
    defaultModels: defaults.models,
    // toolUseId: `[a-zA-Z0-9_-]`, 1 to 64 characters.
    callIds: { chars: 'portable', max: 64 },
    generate: (call, target, key) => {
      const body = JSON.stringify(encodeBedrockRequest(call, o.familyOf(target.model), o.cacheEnrollment, target.outputCeiling));
      const path = `/model/${modelSegment(row.id, target.model)}/${target.whole ? 'converse' : 'converse-stream'}`;
      return sign((at) => ({
        method: 'POST', url: `${at.runtimeUrl}${path}`,
        headers: { 'content-type': 'application/json', accept: target.whole ? 'application/json' : 'application/vnd.amazon.eventstream', ...o.headers },
        body,
      }), key);
    },
    decoder: (call, _target, secrets) => new BedrockStreamDecoder(row.id, masked(secrets), call.options.stopSequences),
    framer: () => new EventStreamFramer(row.id, maxFrame),
    response: (call, _target, secrets) => new BedrockResponseDecoder(row.id, masked(secrets), call.options.stopSequences),
    statusError: (status, text, headers, wait, secrets) => {
      const err = classifyBedrockStatus(row.id, status, text, headers, wait, masked(secrets));
      if (staleCredentials(err)) credentials.invalidate();
      skew.learn(err, headers);
      return err;
    },
    // A request refused for a signing time that the corrected clock puts out of bounds is signed afresh and sent once more.
    renew: async (_key, status, _client, _signal, sent) => (status === 403 && skew.resigns(sent) ? true : undefined),
    // A Bedrock API key that is refused comes back as a 403, not a 401.
    keyRejected: keyRefused,
    // CountTokens takes the Converse request's conversation, tools and model fields (not inferenceConfig).
    countTokens: {
      request: (call, model, key) => {
        const body = JSON.stringify({ input: { converse: pick(encodeBedrockRequest(call, o.familyOf(model)), COUNTED_FIELDS) } });
        const path = `/model/${modelSegment(row.id, model)}/count-tokens`;
        return sign((at) => ({ method: 'POST', url: `${at.runtimeUrl}${path}`, headers: { 'content-type': 'application/json', accept: 'application/json', ...o.headers }, body }), key);
      },
      parse: (body) => countAt(body, 'inputTokens'),
      // Models without counting (Nova, inference profiles) are refused with a ValidationException.
      unsupported: (status, text) => status === 400 && /support(?:s)? counting tokens/i.test(text),
    },
    // The body is built first: a model of no known family or a length it cannot give is a 400 before credentials are resolved.
    embed: {
      request: (request, model, key) => {
        const body = JSON.stringify(invokeModelBody(request, model));
        const path = `/model/${modelSegment(row.id, model)}/invoke`;
        return sign((at) => ({ method: 'POST', url: `${at.runtimeUrl}${path}`, headers: { 'content-type': 'application/json', accept: 'application/json', ...o.headers }, body }), key);
      },
      parse: readInvokeModelEmbeddings,
      maxInputs: bedrockEmbedMaxInputs,
      takes: (model) => bedrockEmbedModel(model) !== undefined,
    },
    models: {
      request: (key) => sign((at) => ({ method: 'GET', url: `${at.controlUrl}/foundation-models`, headers: { accept: 'application/json', ...o.headers } }), key),
      parse: parseFoundationModels,
    },
  };
}

export const BEDROCK_DEFAULTS: KindDefaults = { models: ['anthropic.claude-sonnet-4-20250514-v1:0'] };

/** Builds a Bedrock backend for a row; `chain` replaces the default AWS credential chain (tests). */
export function bedrockBackend(row: BackendRow, deps: BackendDeps, defaults: KindDefaults = BEDROCK_DEFAULTS, chain?: ChainFactory): Backend {
  return new HttpBackend(row, deps, row.kind, bedrockProtocol(row, deps, defaults, chain));
}
