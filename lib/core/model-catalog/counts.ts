/**
 * What the model catalog did, for `lip_model_catalog_total{event}`: refreshes by outcome and
 * each decision it made on a request (a candidate left out, a request adapted).
 */
export type CatalogEvent =
  | 'refresh_updated' | 'refresh_unchanged' | 'refresh_failed'
  | 'excluded_context' | 'excluded_modality' | 'excluded_tools'
  | 'clamped_max_output_tokens' | 'dropped_reasoning' | 'dropped_sampling';

/** Process-wide counts (they survive reloads, as a Prometheus counter should). */
export const MODEL_CATALOG_COUNTS = new Map<CatalogEvent, number>();

export function countCatalog(event: CatalogEvent): void {
  MODEL_CATALOG_COUNTS.set(event, (MODEL_CATALOG_COUNTS.get(event) ?? 0) + 1);
}
