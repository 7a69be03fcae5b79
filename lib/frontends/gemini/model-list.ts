import type { ModelEntry, ModelListRoute } from '../protocol.js';

/**
 * `GET /v1beta/models` in Gemini's shape: `{"models":[{"name":"models/<id>", ...,
 * "supportedGenerationMethods":["generateContent","streamGenerateContent"]}]}`. The `<id>` is
 * usable in the generate path as it is (`/v1beta/models/backend:model:generateContent`).
 */
export function geminiModelList(models: readonly ModelEntry[]): Record<string, unknown> {
  return { models: models.map(geminiModel) };
}

/** One model in Gemini's shape (`GET /v1beta/models/{id}` answers it alone). */
export function geminiModel(m: ModelEntry): Record<string, unknown> {
  const info = m.info;
  return {
    name: `models/${m.id}`,
    baseModelId: m.id,
    version: '1',
    displayName: info?.displayName ?? m.id,
    description: m.ownedBy === 'lip' ? 'a lip model alias' : `served by the lip backend "${m.ownedBy}"`,
    // The model catalog's limits, when it knows them (`model_catalog`).
    ...(info?.inputTokens !== undefined ? { inputTokenLimit: info.inputTokens } : {}),
    ...(info?.outputTokens !== undefined ? { outputTokenLimit: info.outputTokens } : {}),
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent'],
    ...(info?.thinking !== undefined ? { thinking: info.thinking } : {}),
  };
}

export const geminiModelRoutes: readonly ModelListRoute[] = [
  { path: '/v1beta/models', encode: geminiModelList, encodeOne: geminiModel },
  { path: '/v1beta1/models', encode: geminiModelList, encodeOne: geminiModel },
];
