import { ConfigError } from '../../config/index.js';
import { isLipError } from '../../errors/index.js';
import { loadConfig } from '../config-source.js';
import type { Output } from '../output.js';

/** `lip check-config`: 0 and "configuration is valid", or 1 and every problem, one per line. */
export function checkConfigCommand(path: string | undefined, io: Output): number {
  try {
    loadConfig(path);
    io.out('configuration is valid');
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`configuration is invalid (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):`);
      io.err(err.message);
    } else io.err(isLipError(err) ? err.message : String(err));
    return 1;
  }
}
