import type { BackendRow } from '../backend.js';
import { endpointUrl } from '../http/endpoint-url.js';
import { modelUrlPath } from '../http/model-url-path.js';
import { MEDIA_URLS_PROPERTY } from '../media-refusal.js';
import { PROVIDER_OPTIONS_PROPERTY } from '../provider-options.js';

/** The gemini row keys beside the common ones. */
export const geminiProperties: Record<string, Record<string, unknown>> = {
  base_url: { type: 'string', lipUrl: ['http', 'https'], default: 'https://generativelanguage.googleapis.com' },
  api_version: { type: 'string', pattern: '^v[0-9a-z]+$', default: 'v1beta' },
  auth: { enum: ['x-goog-api-key', 'bearer'], default: 'x-goog-api-key' },
  provider_options: PROVIDER_OPTIONS_PROPERTY,
  media_urls: MEDIA_URLS_PROPERTY,
};

export interface GeminiOptions {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly auth: 'x-goog-api-key' | 'bearer';
  /** Send the client's Gemini knobs (safetySettings, mediaResolution; Call.providerOptions.gemini). */
  readonly providerOptions: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

export function geminiOptions(row: BackendRow): GeminiOptions {
  return {
    baseUrl: (typeof row.base_url === 'string' ? row.base_url : 'https://generativelanguage.googleapis.com').replace(/\/+$/, ''),
    apiVersion: typeof row.api_version === 'string' ? row.api_version : 'v1beta',
    auth: row.auth === 'bearer' ? 'bearer' : 'x-goog-api-key',
    providerOptions: row.provider_options !== false,
    headers: (row.headers as Record<string, string> | undefined) ?? {},
  };
}

/** The model's resource name, as request bodies carry it: a bare id gets the `models/` prefix, `tunedModels/x` stays. */
export function modelResource(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

/**
 * `{base}/{version}/{resource}{method}` (`:streamGenerateContent?alt=sse`) for the model of
 * backend `backend`, each segment of the resource name percent-encoded; a model with an empty,
 * `.` or `..` segment is a 400 (modelUrlPath): the client's model text never leaves
 * `{base}/{version}/`. A query of the base comes after the path (endpointUrl).
 */
export function modelUrl(o: GeminiOptions, model: string, backend: string, method: string): string {
  return endpointUrl(o.baseUrl, `/${o.apiVersion}/${modelUrlPath(backend, modelResource(model), { nested: true })}${method}`);
}
