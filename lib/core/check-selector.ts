import { firstLeafBackend } from '../routing/selector/first-backend.js';

/**
 * Config-time check of a selector (default route, alias replacements): its backends must be
 * configured and enabled. Returns a message, or undefined when the selector is acceptable.
 */
export function checkSelector(selector: string, backendIds: ReadonlySet<string>): string | undefined {
  const backend = firstLeafBackend(selector);
  if (backend !== undefined && !backendIds.has(backend)) {
    return `names the backend "${backend}", which is not configured or not enabled (known: ${[...backendIds].join(', ') || 'none'})`;
  }
  return undefined;
}
