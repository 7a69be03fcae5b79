import type { ResolveReferences, StoredFile, StoredResponses } from './protocol.js';

type Json = Record<string, unknown>;

/** Files one request may name by id (each read from the store). */
const MAX_FILES_PER_REQUEST = 32;

/**
 * OpenAI Chat Completions parts naming a file by id (`{type: "file", file: {file_id}}`): a file
 * the caller uploaded to lip (`/v1/files`) is put inline (`file_data` as a data URL, an image as
 * an `image_url` part), so that any backend gets its bytes; an id lip holds no file of is left as
 * it is (a provider's own file id, sent on to that provider).
 * @see spec/frontends/file-references.spec.ts
 */
export const resolveChatFiles: ResolveReferences = (body, responses) => {
  const messages = (body as Json | null)?.messages;
  if (responses.file === undefined || !Array.isArray(messages)) return undefined;
  return inlineFiles(body as Json, 'messages', messages, responses, (part) => {
    const file = part.type === 'file' ? part.file as Json | undefined : undefined;
    return file !== undefined && typeof file.file_id === 'string' && file.file_data === undefined ? file.file_id : undefined;
  }, (part, f) => (f.mediaType.startsWith('image/')
    ? { type: 'image_url', image_url: { url: dataUrl(f) } }
    : { type: 'file', file: { file_data: dataUrl(f), filename: ((part.file as Json).filename as string | undefined) ?? f.filename } }));
};

/**
 * OpenAI Responses input parts naming a file by id (`input_file` or `input_image` with
 * `file_id`): a file the caller uploaded to lip is put inline (`file_data`, or `image_url` for an
 * image); an id lip holds no file of is left as it is.
 */
export const resolveResponsesFiles: ResolveReferences = (body, responses, params) => {
  const parts = resolveResponsesParts(body, responses, params);
  if (parts === undefined) return resolveScreenshots(body, responses);
  return parts.then((b) => resolveScreenshots(b, responses) ?? b);
};

const resolveResponsesParts: ResolveReferences = (body, responses) => {
  const input = (body as Json | null)?.input;
  if (responses.file === undefined || !Array.isArray(input)) return undefined;
  return inlineFiles(body as Json, 'input', input, responses, (part) => {
    if (typeof part.file_id !== 'string') return undefined;
    if (part.type === 'input_file' && part.file_data === undefined && part.file_url === undefined) return part.file_id;
    return part.type === 'input_image' && (part.image_url === undefined || part.image_url === null) ? part.file_id : undefined;
  }, (part, f) => (f.mediaType.startsWith('image/')
    ? { type: 'input_image', image_url: dataUrl(f), detail: typeof part.detail === 'string' ? part.detail : 'auto' }
    : { type: 'input_file', file_data: dataUrl(f), filename: typeof part.filename === 'string' ? part.filename : f.filename }));
};

/**
 * A computer call's screenshot given by id (`computer_call_output` with `output.file_id`): an
 * image the caller uploaded to lip becomes its `image_url` (a data URL); an id lip holds no image
 * of is left as it is (and refused when decoded).
 */
const resolveScreenshots: ResolveReferences = (body, responses) => {
  const input = (body as Json | null)?.input;
  if (responses.file === undefined || !Array.isArray(input)) return undefined;
  let ids: Set<string> | undefined;
  for (const item of input) {
    const id = screenshotId(item);
    if (id !== undefined && (ids?.size ?? 0) < MAX_FILES_PER_REQUEST) (ids ??= new Set()).add(id);
  }
  if (ids === undefined) return undefined;
  const named = ids;
  return (async () => {
    const found = await heldFiles(named, responses, (f) => f.mediaType.startsWith('image/'));
    if (found.size === 0) return body;
    return {
      ...(body as Json),
      input: input.map((item: unknown) => {
        const id = screenshotId(item);
        const file = id === undefined ? undefined : found.get(id);
        if (file === undefined) return item;
        const { file_id: _id, ...output } = (item as Json).output as Json;
        return { ...(item as Json), output: { ...output, image_url: dataUrl(file) } };
      }),
    };
  })();
};

function screenshotId(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object' || (item as Json).type !== 'computer_call_output') return undefined;
  const output = (item as Json).output as Json | null | undefined;
  if (output === null || typeof output !== 'object' || typeof output.file_id !== 'string') return undefined;
  return output.image_url === undefined || output.image_url === null ? output.file_id : undefined;
}

/** Runs `first`, then `second` on what it made (each may leave the body as it is). */
export function bothResolved(first: ResolveReferences, second: ResolveReferences): ResolveReferences {
  return (body, responses, params) => {
    const once = first(body, responses, params);
    if (once === undefined) return second(body, responses, params);
    return once.then((b) => second(b, responses, params) ?? b);
  };
}

/**
 * The body with the parts of `list[i].content` that `named` finds an id in put inline by
 * `inline`, for the ids the caller's stored files hold; undefined (no lookup) when no part names one.
 */
export function inlineFiles(body: Json, field: string, list: readonly unknown[], responses: StoredResponses, named: (part: Json) => string | undefined, inline: (part: Json, file: StoredFile) => Json): Promise<unknown> | undefined {
  // The usual body names no file: nothing is allocated until a part does.
  let namedIds: Set<string> | undefined;
  for (const item of list) {
    const content = (item as Json | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      const id = typeof part === 'object' && part !== null ? named(part as Json) : undefined;
      if (id !== undefined && (namedIds?.size ?? 0) < MAX_FILES_PER_REQUEST) (namedIds ??= new Set()).add(id);
    }
  }
  if (namedIds === undefined) return undefined;
  const ids = namedIds;
  return (async () => {
    const found = await heldFiles(ids, responses);
    if (found.size === 0) return body;
    const rewritten = list.map((item) => {
      const content = (item as Json | null)?.content;
      if (!Array.isArray(content)) return item;
      let changed = false;
      const parts = content.map((part: unknown) => {
        const id = typeof part === 'object' && part !== null ? named(part as Json) : undefined;
        const file = id === undefined ? undefined : found.get(id);
        if (file === undefined) return part;
        changed = true;
        return inline(part as Json, file);
      });
      return changed ? { ...(item as Json), content: parts } : item;
    });
    return { ...body, [field]: rewritten };
  })();
}

/** The files lip holds for the caller among `ids` (those `usable` takes), looked up at once. */
async function heldFiles(ids: ReadonlySet<string>, responses: StoredResponses, usable: (f: StoredFile) => boolean = () => true): Promise<Map<string, StoredFile>> {
  const found = new Map<string, StoredFile>();
  await Promise.all([...ids].map(async (id) => {
    const file = await responses.file!(id);
    if (file !== undefined && usable(file)) found.set(id, file);
  }));
  return found;
}

function dataUrl(f: StoredFile): string {
  return `data:${f.mediaType};base64,${f.data}`;
}
