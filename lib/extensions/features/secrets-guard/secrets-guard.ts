import type { Call } from '../../../canonical/index.js';
import type { Observation } from '../../observation.js';
import { refuseConfigProblems, type FeatureFactory, type RequestAnswer, type TrafficRedactor } from '../../sdk.js';
import { BUILTIN_DETECTORS, compileDetectors, patternProblems, replaceMatches, type PatternConfig } from './detectors.js';
import { scanCall } from './scan-call.js';
import { StreamRedaction, substringDetector } from '../../stream-redaction.js';

/** `features: [{ id: secrets-guard, config: { ... } }]` */
export interface SecretsGuardConfig {
  /** `log`: report and pass; `redact`: replace each match before anything leaves; `block`: 400. */
  readonly mode: 'log' | 'redact' | 'block';
  /** Use the built-in detectors (provider API keys, private key blocks, bearer tokens). */
  readonly builtin: boolean;
  /** More detectors: `{ id, regex, flags? }` (JavaScript syntax; checked at config load). */
  readonly patterns: readonly PatternConfig[];
  /** What a match becomes in `redact` mode; `{id}` is the detector id. */
  readonly replacement: string;
  /** The client's error message in `block` mode (the matches are never echoed). */
  readonly block_message: string;
  readonly order: number;
}

/** Detector ids seen per mode since the process started (ids and counts only, never matches). */
export const SECRET_GUARD_MATCHES = new Map<string, number>();

/**
 * Scans the client's text in every request (system text, messages, documents, tool calls and
 * results, reasoning, hosted tools' records: scanCall) for credential-shaped strings in the
 * `secret_guard` stage, before the call reaches the session, routing, traffic observation or
 * any backend. `redact` replaces every match, `block` answers 400 in the client's protocol,
 * `log` only reports. Logs carry detector ids and counts, never the matched text. Fail-closed:
 * a failing scan fails the request.
 * @see docs/features.md
 */
export const secretsGuard: FeatureFactory<SecretsGuardConfig> = {
  id: 'secrets-guard',
  description: 'Scans incoming messages for credential-shaped strings (provider API keys, private keys, bearer tokens, configured regexes): log, redact or block.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      mode: { enum: ['log', 'redact', 'block'], default: 'redact' },
      builtin: { type: 'boolean', default: true },
      patterns: {
        type: 'array', default: [], maxItems: 64,
        items: {
          type: 'object', additionalProperties: false, required: ['id', 'regex'],
          properties: { id: { type: 'string', pattern: '^[a-z0-9_]{1,64}$' }, regex: { type: 'string', minLength: 1, maxLength: 512 }, flags: { type: 'string', pattern: '^[imsu]{0,4}$' } },
        },
      },
      replacement: { type: 'string', maxLength: 128, default: '[REDACTED:{id}]' },
      block_message: { type: 'string', minLength: 1, maxLength: 512, default: 'the request contains a credential-shaped string; remove it and retry' },
      order: { type: 'integer', minimum: 0, default: 50 },
    },
  },
  check: (config) => [
    ...patternProblems(config.patterns ?? []),
    ...(config.builtin === false && (config.patterns ?? []).length === 0 ? [{ path: ['builtin'], message: 'no detectors: builtin is false and patterns is empty' }] : []),
  ],
  create(config, services) {
    refuseConfigProblems(secretsGuard.check!(config));
    const detectors = [...(config.builtin ? BUILTIN_DETECTORS : []), ...compileDetectors(config.patterns)];
    // Replayed, the client's text is the recording's, where the traffic redactor below put this
    // replacement over every match: blocking, the replacement is a match too, so a request blocked
    // when served is blocked again (and one whose client wrote the replacement itself as well).
    const scannedFor = config.mode === 'block' && services.replaying === true
      ? [...detectors, ...detectors.map((d) => substringDetector(d.id, config.replacement.replace(/\{id\}/g, d.id)))]
      : detectors;
    const guard = (call: Call, ctx: { requestId: string }): RequestAnswer => {
      const { call: scanned, findings } = scanCall(call, scannedFor, config.mode === 'redact' ? config.replacement : undefined);
      if (findings.size === 0) return call;
      for (const [id, n] of findings) SECRET_GUARD_MATCHES.set(`${config.mode}:${id}`, (SECRET_GUARD_MATCHES.get(`${config.mode}:${id}`) ?? 0) + n);
      services.logger.warn('secrets-guard: credential-shaped text in a request', {
        request_id: ctx.requestId, mode: config.mode, detectors: Object.fromEntries(findings),
      });
      if (config.mode === 'block') return { reject: config.block_message, status: 400 };
      return scanned;
    };
    // The traffic plane copies the client's body and call before the request stages run, and the
    // events: its copies get every match replaced too (whatever the mode), so no observer or
    // recording sees one.
    const redactDeep = (value: unknown): unknown => {
      if (typeof value === 'string') {
        let out = value;
        // A function, so that `$&` or `$1` in a configured replacement is text, never the match put back.
        for (const d of detectors) out = replaceMatches(out, d, () => config.replacement.replace(/\{id\}/g, d.id)).text;
        return out;
      }
      if (Array.isArray(value)) return value.map(redactDeep);
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
      return value;
    };
    // Events: the text they stream (output, reasoning, tool-call arguments) is redacted whole,
    // across delta boundaries, with a tail held back (StreamRedaction); other events deep.
    const streams = new StreamRedaction(detectors, (id) => config.replacement.replace(/\{id\}/g, id));
    const redactor: TrafficRedactor = {
      id: 'redact-observations', order: config.order,
      redact: (o: Observation) => {
        if (o.kind !== 'event') return redactDeep(o) as Observation;
        return streams.redact(o).map((e) => (e === o && !isDelta(o) ? redactDeep(o) as Observation : e));
      },
      end: (stream) => streams.end(stream),
    };
    return { secretGuards: [{ id: 'scan', order: config.order, failureMode: 'fail_closed', run: guard }], trafficRedactors: [redactor] };
  },
};

/** An event whose streamed text StreamRedaction redacts (and may hold back). */
function isDelta(o: Observation & { kind: 'event' }): boolean {
  return o.event.type === 'text_delta' || o.event.type === 'reasoning_delta' || o.event.type === 'tool_call_delta';
}
