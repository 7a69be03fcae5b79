/**
 * Media types by file extension, for an upload whose part names none, or a URL's file. Maps, as
 * EXTENSIONS: the key is the client's text, and `a.constructor` must find nothing.
 */
const MEDIA_TYPES: ReadonlyMap<string, string> = new Map(Object.entries({
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  heic: 'image/heic', heif: 'image/heif',
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', jsonl: 'application/jsonl', html: 'text/html',
}));

/** The media type a file name's (or a URL path's) extension names, if lip knows it. */
export function mediaTypeByExtension(name: string): string | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return extension === undefined ? undefined : MEDIA_TYPES.get(extension);
}

/** The media type a URL's path names by its extension (`https://x/cat.jpg?v=2` -> `image/jpeg`), if lip knows it. */
export function mediaTypeOfUrl(url: string): string | undefined {
  return mediaTypeByExtension(url.replace(/[?#].*$/s, ''));
}

/** An uploaded file's media type: its part's `Content-Type` (unless the generic one), else by its name's extension, else `application/octet-stream`. */
export function uploadedMediaType(filename: string, sent: string | undefined): string {
  const type = sent !== undefined && sent !== '' && sent !== 'application/octet-stream' ? sent.split(';')[0]!.trim() : undefined;
  return type ?? mediaTypeByExtension(filename) ?? 'application/octet-stream';
}

/** File extensions by media type, for an inline file the client named none (the reverse of MEDIA_TYPES, and more). */
const EXTENSIONS: ReadonlyMap<string, string> = new Map(Object.entries({
  'application/pdf': 'pdf', 'text/plain': 'txt', 'text/markdown': 'md', 'text/x-markdown': 'md', 'text/csv': 'csv',
  'text/tab-separated-values': 'tsv', 'application/json': 'json', 'application/jsonl': 'jsonl', 'application/x-ndjson': 'jsonl',
  'text/html': 'html', 'text/xml': 'xml', 'application/xml': 'xml', 'text/css': 'css', 'text/javascript': 'js',
  'application/javascript': 'js', 'text/x-python': 'py', 'application/x-python': 'py', 'text/rtf': 'rtf', 'application/rtf': 'rtf',
  'application/yaml': 'yaml', 'application/x-yaml': 'yaml', 'text/yaml': 'yaml', 'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx', 'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx', 'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
}));

/** A media type without its parameters, in lower case (`Text/Plain; charset=utf-8` -> `text/plain`). */
function essence(mediaType: string): string {
  return mediaType.split(';')[0]!.trim().toLowerCase();
}

/** Names clients write for a registered media type (a Map, as MEDIA_TYPES). */
const ALIASES: ReadonlyMap<string, string> = new Map(Object.entries({ 'image/jpg': 'image/jpeg' }));

/**
 * A media type as providers take it: without its parameters, in lower case, by its registered
 * name (Anthropic refuses `image/jpg`, `image/JPEG` and `image/jpeg;name=a.jpg`).
 *
 * ```ts
 * plainMediaType('image/JPG; name=a.jpg') // 'image/jpeg'
 * ```
 */
export function plainMediaType(mediaType: string): string {
  const type = essence(mediaType);
  return ALIASES.get(type) ?? type;
}

/**
 * The name of an inline file its part names none of, whose extension says what it is (OpenAI
 * tells file types by the name): `document.pdf` for a PDF (or a file of no media type, taken as
 * one), `document.txt`, `document.json`, ... by the table, `document.txt` for another text type,
 * and `file` (no extension, nothing claimed) for a type lip does not know.
 *
 * ```ts
 * inlineFileName('application/json')          // 'document.json'
 * inlineFileName('text/plain; charset=utf-8') // 'document.txt'
 * inlineFileName('application/octet-stream')  // 'file'
 * ```
 */
export function inlineFileName(mediaType: string | undefined): string {
  if (mediaType === undefined) return 'document.pdf';
  const type = essence(mediaType);
  const extension = EXTENSIONS.get(type) ?? (isTextMediaType(type) ? 'txt' : undefined);
  return extension !== undefined ? `document.${extension}` : 'file';
}

/**
 * Whether a file of this media type is text: `text/*`, JSON, XML, YAML, JavaScript and their
 * `+json` / `+xml` kin.
 */
export function isTextMediaType(mediaType: string): boolean {
  const type = essence(mediaType);
  return type.startsWith('text/') || /^application\/(?:json|jsonl|x-ndjson|xml|yaml|x-yaml|javascript|x-javascript|ecmascript|x-python|x-sh|sql|toml|graphql)$/.test(type)
    || /^application\/[\w.+-]+\+(?:json|xml|yaml)$/.test(type);
}

/** `audio` or `video` for a media type of either (`Audio/MPEG` -> `audio`), else undefined. */
export function audioOrVideo(mediaType: string | undefined): 'audio' | 'video' | undefined {
  const kind = /^(audio|video)\//i.exec(mediaType ?? '')?.[1]?.toLowerCase();
  return kind === 'audio' || kind === 'video' ? kind : undefined;
}
