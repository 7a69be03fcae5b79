import type { FeatureFactory } from '../../sdk.js';
import { appendToFirstUserText } from './append-to-first-user-text.js';

/** `features: [{ id: ref-request-suffix, config: { order?, suffix?, response_prefix? } }]` */
export interface RefRequestSuffixConfig {
  readonly order: number;
  readonly suffix: string;
  readonly response_prefix: string;
}

/**
 * Reference plugin for both part buses, observable both ways: a request-part hook that appends
 * `suffix` to the first text part of the first user message that has one, on each attempt's
 * own copy of the call (a failover candidate sees it once, not twice); and a response-part hook
 * (`ref-request-suffix-response`) that puts the trimmed `response_prefix` before every text
 * delta. Both fail-open.
 * @see docs/features.md
 */
export const refRequestSuffix: FeatureFactory<RefRequestSuffixConfig> = {
  id: 'ref-request-suffix',
  description: 'Reference part hooks: appends a suffix to the first user text part per attempt and prefixes every response text delta.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      order: { type: 'integer', minimum: 0, default: 50 },
      suffix: { type: 'string', maxLength: 1024, default: ' [ref]' },
      response_prefix: { type: 'string', maxLength: 256, default: 'REF:' },
    },
  },
  create(config) {
    const prefix = config.response_prefix.trim();
    return {
      requestParts: [{ id: 'ref-request-suffix', order: config.order, failureMode: 'fail_open', shape: (call) => appendToFirstUserText(call, config.suffix) }],
      eventMutators: [{
        id: 'ref-request-suffix-response', order: config.order, failureMode: 'fail_open',
        mutate: (event) => (event.type === 'text_delta' && prefix !== '' ? { ...event, text: prefix + event.text } : event),
      }],
    };
  },
};
