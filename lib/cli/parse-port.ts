/**
 * `--port`: a whole number from 0 to 65535 (0: any free port), or a usage error (exit 2) that
 * says so; yargs' own `number` type would turn `abc` into NaN and `99999` would fail only at
 * listen time. None, an empty or a blank one: `--port needs a value`, as for every option.
 */
export function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(Array.isArray(value) ? value[value.length - 1] : value).trim();
  if (text === '') throw new Error('--port needs a value');
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535 (0: any free port), got "${text}"`);
  return port;
}
