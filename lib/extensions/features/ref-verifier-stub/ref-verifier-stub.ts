import { emptyCall, type LipEvent } from '../../../canonical/index.js';
import { auxiliaryTimeoutProblem } from '../../auxiliary-client.js';
import { refuseConfigProblems, type FeatureFactory, type GateAnswer } from '../../sdk.js';

/** `features: [{ id: ref-verifier-stub, config: { order?, aux_role?, steer_text?, model_routing_string? } }]` */
export interface RefVerifierStubConfig {
  readonly order: number;
  readonly aux_role: string;
  readonly steer_text: string;
  /** The verifier's selector; empty: the default route. */
  readonly model_routing_string: string;
  readonly timeout: number;
}

/**
 * Reference completion gate: holds each attempt's whole completion, asks a verifier through
 * the auxiliary client (the completion's text as the user message), and on success replaces the
 * completion with `steer_text`; on any error (no route, a failing or slow verifier) the
 * original passes. Fail-open. (Go sends an empty call; lip sends what is being verified.)
 * @see docs/features.md
 */
export const refVerifierStub: FeatureFactory<RefVerifierStubConfig> = {
  id: 'ref-verifier-stub',
  description: 'Reference completion gate: an auxiliary verifier call; replaces the completion with steer_text on success, passes the original on error.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      order: { type: 'integer', minimum: 0, default: 25 },
      aux_role: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$', default: 'verifier' },
      steer_text: { type: 'string', maxLength: 65_536, default: 'verifier-ok' },
      model_routing_string: { type: 'string', default: '' },
      timeout: { lipDuration: true, default: '60s' },
    },
  },
  check(config) {
    const timeout = auxiliaryTimeoutProblem(config.timeout);
    return timeout ? [{ path: ['timeout'], message: timeout }] : [];
  },
  // Empty: the default route.
  references: (config) => (config.model_routing_string === '' ? [] : [{ path: ['model_routing_string'], selector: config.model_routing_string }]),
  create(config) {
    refuseConfigProblems(refVerifierStub.check!(config));
    const replacement: LipEvent[] = [
      { type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: config.steer_text }, { type: 'response_finished', reason: 'stop' },
    ];
    return {
      completionGates: [{
        id: 'verify', order: config.order, failureMode: 'fail_open',
        async gate(completion, ctx): Promise<GateAnswer> {
          const text = completion.response.blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
          try {
            await ctx.auxiliary.collect({
              role: config.aux_role, timeoutMs: config.timeout,
              call: emptyCall({ model: config.model_routing_string, messages: [{ role: 'user', parts: [{ type: 'text', text: text || '(no text)' }] }] }),
            });
          } catch {
            return { action: 'pass_original' };
          }
          return { action: 'replace', events: replacement };
        },
      }],
    };
  },
};
