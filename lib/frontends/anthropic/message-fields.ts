import type { FinishDetails } from '../../canonical/index.js';
import { FINISH_DIALECTS } from '../../canonical/index.js';

/** The message fields an Anthropic backend carries home (FINISH_DIALECTS.anthropic), and no other key. */
const FIELDS = ['stop_details', 'context_management', 'input_transformations'] as const;

/**
 * The Anthropic message fields of an answer's end (a refusal's `stop_details`, the applied
 * `context_management` edits, the `input_transformations`), as the Anthropic backend read them;
 * none when the details are another dialect's or absent.
 */
export function messageFields(details: FinishDetails | undefined): { stop_details?: unknown; context_management?: unknown; input_transformations?: unknown } {
  if (details === undefined || details.dialect !== FINISH_DIALECTS.anthropic) return {};
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) if (details.value[field] !== undefined) out[field] = details.value[field];
  return out;
}
