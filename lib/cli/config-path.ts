/** `--config` (the last one wins when given twice), else `LIP_CONFIG`, else undefined. */
export function configPath(flag: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = Array.isArray(flag) ? flag[flag.length - 1] : flag;
  if (typeof value === 'string' && value.length > 0) return value;
  return env.LIP_CONFIG || undefined;
}
