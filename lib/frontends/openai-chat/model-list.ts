import type { ModelEntry, ModelListRoute } from '../protocol.js';

/**
 * `GET /v1/models` in OpenAI's shape: `{"object":"list","data":[{"id","object":"model",
 * "created","owned_by"}]}`. Ids are `backend:model` (usable as the request `model`) and alias
 * names; `owned_by` is the serving backend id (`lip` for aliases). lip knows no creation dates.
 */
export function chatModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  return { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })) };
}

/** `GET /v1/models/{id}`: one entry of the list. */
export function chatModelEntry(m: ModelEntry): Record<string, unknown> {
  return { id: m.id, object: 'model', created: 0, owned_by: m.ownedBy };
}

export const chatModelRoutes: readonly ModelListRoute[] = [{ path: '/v1/models', encode: chatModelList, encodeOne: chatModelEntry }];
