import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `LIP_SPEC_INJECT_FAULTS=1` makes the fault specs use the stores' injection seam even where the machine allows real faults. */
export const FORCE_SEAM = process.env.LIP_SPEC_INJECT_FAULTS === '1';

export const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });

/**
 * Whether `chattr +i` works in `dir` and stops root from writing (tests run as root, where
 * `chmod` stops nothing); when it does not, the specs fall back on the injection seam.
 */
export function immutableWorks(dir: string): boolean {
  if (FORCE_SEAM) return false;
  const probe = join(dir, 'probe');
  writeFileSync(probe, 'x');
  try {
    sh('chattr', ['+i', probe]);
  } catch {
    return false;
  }
  try {
    appendFileSync(probe, 'y');
    return false;
  } catch {
    return true;
  } finally {
    sh('chattr', ['-i', probe]);
  }
}

/** Mounts a tmpfs of `size` (`1m`, `64k`) on `dir`; false when the machine refuses (or `LIP_SPEC_INJECT_FAULTS=1`). */
export function mountTmpfs(dir: string, size: string): boolean {
  if (FORCE_SEAM) return false;
  try {
    sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    return true;
  } catch {
    return false;
  }
}
