import type { Call } from '../../canonical/index.js';
import { HOSTED_DIALECTS } from '../../canonical/index.js';

type Json = Record<string, unknown>;

/**
 * Whether the call declares Gemini's URL context tool: an answer may then be grounded on the
 * pages it read (`groundingSupports` in byte offsets of the text, as for a search), so the text
 * is kept while it streams.
 */
export function declaresUrlContext(call: Call): boolean {
  return call.tools.some((t) => t.kind === 'hosted' && t.name === 'urlContext' && t.providerTool?.dialect === HOSTED_DIALECTS.gemini);
}

/**
 * The `urlContextMetadata` a hosted record of the message carries (`{urlContextMetadata}`, a
 * gemini backend's), or undefined for another record.
 */
export function urlContextOf(block: Readonly<Json>): unknown {
  return block.urlContextMetadata ?? undefined;
}

/**
 * The candidate's `urlContextMetadata` from the records an answer carried, in order: the one
 * record as it came (what Google sends: one, with the first frame); several (an upstream that
 * revised it) as one whose `urlMetadata` lists each distinct entry once, in order of first
 * appearance, the other fields the last record's.
 *
 * ```ts
 * mergedUrlContext([{ urlMetadata: [a] }, { urlMetadata: [a, b] }])   // { urlMetadata: [a, b] }
 * ```
 */
export function mergedUrlContext(records: readonly unknown[]): unknown {
  if (records.length <= 1) return records[0];
  const objects = records.filter((r): r is Json => r !== null && typeof r === 'object' && !Array.isArray(r));
  if (objects.length === 0) return records[records.length - 1];
  const entries = new Map<string, unknown>();
  for (const r of objects) for (const entry of Array.isArray(r.urlMetadata) ? r.urlMetadata : []) if (!entries.has(JSON.stringify(entry))) entries.set(JSON.stringify(entry), entry);
  return { ...Object.assign({}, ...objects), urlMetadata: [...entries.values()] };
}
