/**
 * A unit vector of `dimensions` values that depends only on `text`: a string hash seeds a small
 * xorshift generator, so equal texts get equal vectors and different texts (almost always)
 * different ones, with no model. Every value is a float32, so base64 answers round-trip exactly.
 *
 * ```ts
 * stubVector('hello', 4) // the same four values on every call and every machine
 * ```
 * @see spec/backends/localstub/embed.spec.ts
 */
export function stubVector(text: string, dimensions: number): number[] {
  let state = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) state = Math.imul(state ^ text.charCodeAt(i), 0x01000193);
  state ||= 1; // xorshift never leaves zero
  const values = new Array<number>(dimensions);
  let norm = 0;
  for (let d = 0; d < dimensions; d++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[d] = (state >>> 0) / 0x80000000 - 1;
    norm += values[d]! * values[d]!;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return values.map((v) => Math.fround(v * scale));
}
