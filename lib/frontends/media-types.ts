/** Media types by file extension, for an upload whose part names none. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', jsonl: 'application/jsonl', html: 'text/html',
};

/** An uploaded file's media type: its part's `Content-Type` (unless the generic one), else by its name's extension, else `application/octet-stream`. */
export function uploadedMediaType(filename: string, sent: string | undefined): string {
  const type = sent !== undefined && sent !== '' && sent !== 'application/octet-stream' ? sent.split(';')[0]!.trim() : undefined;
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return type ?? (extension !== undefined ? MEDIA_TYPES[extension] : undefined) ?? 'application/octet-stream';
}
