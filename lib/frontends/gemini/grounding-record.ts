type Json = Record<string, unknown>;

/**
 * The `groundingMetadata` a hosted record of the message carries (`{groundingMetadata}`: a gemini
 * backend's, when the call declares a grounding built-in such as Google Maps or File Search), or
 * undefined for another record.
 */
export function groundingOf(block: Readonly<Json>): Json | undefined {
  const metadata = block.groundingMetadata;
  return metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? metadata as Json : undefined;
}

/** The lists of a grounding that only add entries from one frame to the next. */
const LISTS = ['webSearchQueries', 'imageSearchQueries', 'retrievalQueries', 'sourceFlaggingUris'] as const;

/**
 * The candidate's `groundingMetadata` from the records an answer carried, in order: the one
 * record as it came (what Google sends with a whole answer); several (a stream that revised it)
 * as one that holds each distinct source (`groundingChunks`) once, in order of first appearance,
 * each support once with its chunk indices counted in that list, each query and flagging URI
 * once, and the other fields (`searchEntryPoint`, `retrievalMetadata`,
 * `googleMapsWidgetContextToken`, ...) as the last record has them.
 *
 * ```ts
 * mergedGrounding([{ groundingChunks: [a] }, { groundingChunks: [b], groundingSupports: [{ segment, groundingChunkIndices: [0] }] }])
 * // { groundingChunks: [a, b], groundingSupports: [{ segment, groundingChunkIndices: [1] }] }
 * ```
 */
export function mergedGrounding(records: readonly Json[]): Json | undefined {
  if (records.length <= 1) return records[0];
  const chunks = new Map<string, number>();
  const chunkList: unknown[] = [];
  const supports = new Map<string, unknown>();
  const lists = new Map<string, Map<string, unknown>>();
  for (const record of records) {
    const indexOf = (Array.isArray(record.groundingChunks) ? record.groundingChunks : []).map((chunk: unknown) => {
      const key = JSON.stringify(chunk);
      if (!chunks.has(key)) chunks.set(key, chunkList.push(chunk) - 1);
      return chunks.get(key)!;
    });
    for (const support of Array.isArray(record.groundingSupports) ? record.groundingSupports : []) {
      const indices = isObject(support) && Array.isArray(support.groundingChunkIndices) ? { groundingChunkIndices: support.groundingChunkIndices.map((i: unknown) => (typeof i === 'number' ? indexOf[i] ?? i : i)) } : {};
      const merged = isObject(support) ? { ...support, ...indices } : support;
      supports.set(JSON.stringify(merged), merged);
    }
    for (const name of LISTS) {
      const entries = lists.get(name) ?? new Map<string, unknown>();
      for (const entry of Array.isArray(record[name]) ? record[name] as unknown[] : []) entries.set(JSON.stringify(entry), entry);
      lists.set(name, entries);
    }
  }
  const out: Json = Object.assign({}, ...records);
  const set = (name: string, values: unknown[]) => {
    if (values.length > 0) out[name] = values;
    else delete out[name];
  };
  set('groundingChunks', chunkList);
  set('groundingSupports', [...supports.values()]);
  for (const name of LISTS) set(name, [...lists.get(name)!.values()]);
  return out;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
