import type { ModelEntry, ModelListRoute, RequestContext } from '../protocol.js';

/**
 * `GET /v1/models` in Anthropic's shape, for requests that carry `anthropic-version` (the
 * Anthropic SDKs always do): `{"data":[{"type":"model","id","display_name","created_at"}],
 * "has_more":false,"first_id","last_id"}`. Without the model catalog lip knows no release dates:
 * `created_at` is the epoch.
 */
export function anthropicModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  const data = models.map(anthropicModel);
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}

/**
 * One model: with the model catalog's description, its name, release date, `max_input_tokens`
 * and `max_tokens` (what Anthropic's Models API reports); without, the id and the epoch.
 */
export function anthropicModel(m: ModelEntry): Record<string, unknown> {
  const info = m.info;
  const date = info?.releaseDate;
  return {
    type: 'model', id: m.id, display_name: info?.displayName ?? m.id,
    created_at: date === undefined ? '1970-01-01T00:00:00Z' : `${date.length === 7 ? `${date}-01` : date}T00:00:00Z`,
    ...(info?.inputTokens !== undefined ? { max_input_tokens: info.inputTokens } : {}),
    ...(info?.outputTokens !== undefined ? { max_tokens: info.outputTokens } : {}),
  };
}

export const anthropicModelRoutes: readonly ModelListRoute[] = [{
  path: '/v1/models',
  accepts: (context: RequestContext) => context.headers['anthropic-version'] !== undefined,
  encode: anthropicModelList,
  encodeOne: anthropicModel,
}];
