import type { ModelEntry, ModelListRoute, RequestContext } from '../protocol.js';

/**
 * `GET /v1/models` in Anthropic's shape, for requests that carry `anthropic-version` (the
 * Anthropic SDKs always do): `{"data":[{"type":"model","id","display_name","created_at"}],
 * "has_more":false,"first_id","last_id"}`. lip knows no release dates: `created_at` is the epoch.
 */
export function anthropicModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  const data = models.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: '1970-01-01T00:00:00Z' }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}

export const anthropicModelRoutes: readonly ModelListRoute[] = [{
  path: '/v1/models',
  accepts: (context: RequestContext) => context.headers['anthropic-version'] !== undefined,
  encode: anthropicModelList,
  encodeOne: (m: ModelEntry) => ({ type: 'model', id: m.id, display_name: m.id, created_at: '1970-01-01T00:00:00Z' }),
}];
