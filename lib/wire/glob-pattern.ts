/**
 * A glob as a whole-value regular expression: `*` any run of characters (`/` and `:` too), `?`
 * one, the rest literal.
 *
 * ```ts
 * globPattern('arn:aws:bedrock:*:*:application-inference-profile/abc*').test('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123') // true
 * ```
 * @see spec/wire/glob-pattern.spec.ts
 */
export function globPattern(glob: string): RegExp {
  const source = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's');
}
