/** `--workers N|auto`: a whole number from 1 to 1024, or `auto` (a usage error otherwise, `--workers needs a value` for none). */
export function parseWorkers(value: unknown): number | 'auto' | undefined {
  if (value === undefined) return undefined;
  const text = String(Array.isArray(value) ? value[value.length - 1] : value);
  if (text.trim() === '') throw new Error('--workers needs a value');
  if (text === 'auto') return 'auto';
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 1024)) throw new Error(`--workers must be a whole number from 1 to 1024, or auto (got "${text}")`);
  return n;
}

/**
 * `--workers auto`: one worker per core this process may use. Node's `availableParallelism()`
 * counts the host's cores (and the CPU affinity mask), not a container's CPU quota (`docker
 * --cpus 2`, a Kubernetes `limits.cpu`), so the cgroup's quota caps it: cgroup v2 `cpu.max`
 * (`<quota> <period>`, or `max`), else cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`
 * (-1: none); the quota in whole cores, rounded up, at least 1.
 */
export function autoWorkers(cores: number, read: (path: string) => string | undefined): number {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  let quota: number | undefined;
  if (v2 !== undefined && v2.length === 2 && v2[0] !== 'max') quota = Number(v2[0]) / Number(v2[1]);
  else if (v2 === undefined) {
    const us = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim());
    const period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
    if (us > 0 && period > 0) quota = us / period;
  }
  if (quota === undefined || !Number.isFinite(quota) || quota <= 0) return Math.max(1, cores);
  return Math.max(1, Math.min(cores, Math.ceil(quota)));
}
