import type { LipEvent } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';

/** Marble values: one letter per canonical event. */
export const ev: Record<string, LipEvent> = {
  s: { type: 'response_started' },
  m: { type: 'message_started' },
  u: { type: 'usage', usage: { outputTokens: 1 } },
  t: { type: 'text_delta', text: 'hi' },
  w: { type: 'text_delta', text: '  ' },
  c: { type: 'tool_call_started', id: 'c1', name: 'f' },
  f: { type: 'response_finished', reason: 'stop' },
};

export const retryable = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 503', { status: 503, retryable: true });
export const fatal = new LipError('LIP_ERR_UPSTREAM_STATUS', 'upstream 400', { status: 400, retryable: false });
export const exhausted = (failures: unknown[]) => ({ exhausted: failures.length });
