/** Media types by file extension, for an upload whose part names none, or a URL's file. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  heic: 'image/heic', heif: 'image/heif',
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', jsonl: 'application/jsonl', html: 'text/html',
};

/** The media type a file name's (or a URL path's) extension names, if lip knows it. */
export function mediaTypeByExtension(name: string): string | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return extension === undefined ? undefined : MEDIA_TYPES[extension];
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
