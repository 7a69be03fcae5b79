/**
 * Standard base64 (RFC 4648 section 4) characters, padding last; with a length that is a
 * multiple of 4, padded base64. (A group per 4 characters would overflow the regexp stack on a
 * large vector list.)
 */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A vector as OpenAI's `encoding_format: "base64"` carries it: its values as little-endian
 * float32, base64-encoded (the official SDKs ask for this by default and decode it).
 *
 * ```ts
 * float32Base64([1, -2]) // 'AACAPwAAAMA='
 * ```
 * @see spec/wire/float32-base64.spec.ts
 */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}

/** The vector `float32Base64` encoded; undefined for text that is not base64 of whole float32 values. */
export function vectorFromFloat32Base64(text: string): number[] | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const vector = new Array<number>(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}
