/** `--workers N|auto`: a whole number from 1 to 1024, or `auto` (a usage error otherwise). */
export function parseWorkers(value: unknown): number | 'auto' | undefined {
  if (value === undefined) return undefined;
  const text = String(Array.isArray(value) ? value[value.length - 1] : value);
  if (text === 'auto') return 'auto';
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 1024)) throw new Error(`--workers must be a whole number from 1 to 1024, or auto (got "${text}")`);
  return n;
}
