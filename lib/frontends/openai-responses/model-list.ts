import type { ModelEntry, ModelListRoute } from '../protocol.js';

/**
 * `GET /v1/models` in OpenAI's shape: `{"object":"list","data":[{"id","object":"model",
 * "created","owned_by"}]}`. Ids are `backend:model` (usable as the request `model`) and alias
 * names; `owned_by` is the serving backend id (`lip` for aliases). lip knows no creation dates.
 */
export function openaiModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })) };
}

export const responsesModelRoutes: readonly ModelListRoute[] = [{
  path: '/v1/models', encode: openaiModelList, encodeOne: (m: ModelEntry) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy }),
}];
