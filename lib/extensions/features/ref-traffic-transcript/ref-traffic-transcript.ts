import { LipError } from '../../../errors/index.js';
import { MASK, scrubCredentials, SECRET_NAME } from '../../../wire/scrub-credentials.js';
import type { Observation } from '../../observation.js';
import type { FeatureFactory } from '../../sdk.js';
import { StreamRedaction, substringDetector } from '../../stream-redaction.js';
import { TranscriptStore } from './transcript-store.js';

/** `features: [{ id: ref-traffic-transcript, config: { ... } }]` */
export interface RefTrafficTranscriptConfig {
  readonly order: number;
  /** Replaced with `[redacted]` in every stored row (an empty list means the default). */
  readonly redact_substrings: readonly string[];
  /** Keep an unredacted copy too (privileged: `GET /admin/transcript?...&raw=1`). */
  readonly raw_capture: boolean;
  readonly max_rows: number;
}

const DEFAULT_REDACT = ['REF_SECRET'];

/**
 * Reference plugin for the traffic observation plane: a redactor of substrings and credentials
 * (observation path only; live traffic is never changed: the configured substrings, every
 * credential shape lip masks elsewhere and every string field named as a secret, such as an MCP
 * server's `authorization_token`), a bounded in-memory transcript of the four legs per
 * A-leg, an optional raw capture, and a usage ledger of the backends' usage events, readable
 * behind the diagnostics secret at `GET /admin/transcript?a_leg_id=`.
 * @see docs/features.md
 */
export const refTrafficTranscript: FeatureFactory<RefTrafficTranscriptConfig> = {
  id: 'ref-traffic-transcript',
  description: 'Reference traffic observer: redacted four-leg transcript, optional raw capture and a usage ledger (GET /admin/transcript).',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      order: { type: 'integer', minimum: 0, default: 30 },
      redact_substrings: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 64, default: DEFAULT_REDACT },
      raw_capture: { type: 'boolean', default: false },
      max_rows: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 10_000 },
    },
  },
  create(config) {
    const substrings = config.redact_substrings.length > 0 ? config.redact_substrings : DEFAULT_REDACT;
    const store = new TranscriptStore(config.max_rows);
    const redact = (value: unknown): unknown => {
      if (typeof value === 'string') return scrubCredentials(substrings.reduce((s, sub) => s.split(sub).join('[redacted]'), value));
      if (Array.isArray(value)) return value.map(redact);
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' && SECRET_NAME.test(k) ? MASK : redact(v)]));
      return value;
    };
    // Streamed text (output, reasoning, tool-call arguments) is joined across deltas first, so a
    // substring split across them is replaced whole (StreamRedaction holds the tail back).
    const streams = new StreamRedaction(substrings.map((sub, i) => substringDetector(`substring_${i}`, sub)), () => '[redacted]');
    return {
      trafficRedactors: [{
        id: 'redact-substrings', order: config.order,
        redact(o: Observation): Observation | Observation[] {
          if (config.raw_capture) store.raw(o); // what reached this redactor (after any with a lower order)
          if (o.kind !== 'event') return redact(o) as Observation;
          return streams.redact(o).map((e) => redact(e) as Observation);
        },
        end: (stream) => streams.end(stream).map((e) => redact(e) as Observation),
      }],
      trafficObservers: [{ id: 'transcript', order: config.order, observe: (batch) => { for (const o of batch) store.add(o); } }],
      diagnostics(query) {
        const aLegId = query.get('a_leg_id');
        if (!aLegId) return new LipError('LIP_ERR_REQUEST_INVALID', 'a_leg_id: the query parameter is required (GET /admin/transcript?a_leg_id=...)', { param: 'a_leg_id' });
        const c = store.get(aLegId);
        if (!c) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no transcript for A-leg "${aLegId}"`);
        const raw = query.get('raw') === '1';
        if (raw && !config.raw_capture) return new LipError('LIP_ERR_REQUEST_INVALID', 'raw=1: the raw capture is off (raw_capture: false)', { param: 'raw' });
        return { a_leg_id: aLegId, rows: c.rows, usage: c.usage, dropped: c.dropped, ...(raw ? { raw: c.raw } : {}) };
      },
    };
  },
};
