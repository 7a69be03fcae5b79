/**
 * `*_env` secret references. `NAME` alone, or a numbered pool: `NAME`, then `NAME_2` ...
 * `NAME_32`, read until the first missing one (a missing bare `NAME` does not stop `NAME_2`).
 */
export function readEnvPool(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const keys: string[] = [];
  const first = env[name]?.trim();
  if (first) keys.push(first);
  for (let i = 2; i <= 32; i++) {
    const value = env[`${name}_${i}`]?.trim();
    if (!value) break;
    keys.push(value);
  }
  return keys;
}
