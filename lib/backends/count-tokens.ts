/**
 * Helpers for the kinds' token-count calls: a count endpoint takes only some of a generation
 * request's fields, and answers a count under a name of its own.
 */

/** The members of `body` named in `fields` that it has (in `fields`' order). */
export function pick(body: Readonly<Record<string, unknown>>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) if (body[field] !== undefined) out[field] = body[field];
  return out;
}

/** `body[field]` when it is a count (a whole number, zero or more); undefined otherwise. */
export function countAt(body: unknown, field: string): number | undefined {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
