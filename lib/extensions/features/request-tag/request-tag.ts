import type { Call } from '../../../canonical/index.js';
import type { FeatureFactory, HookContext } from '../../sdk.js';

/** `features: [{ id: request-tag, config: { ... } }]` */
export interface RequestTagConfig {
  /** Metadata entries added to every call (the client's own entries win unless `overwrite`). */
  readonly tags: Readonly<Record<string, string>>;
  /** When set, lip's request id is added under this metadata key (correlates upstream logs). */
  readonly request_id_key?: string;
  /** When set, the authenticated principal is added under this metadata key. */
  readonly principal_key?: string;
  readonly overwrite: boolean;
}

/**
 * The example plugin of docs/extensions.md: one `submit_request` hook that stamps metadata
 * onto each call, so that upstream dashboards and logs can tell teams, environments and
 * requests apart without any client change. Pure, synchronous, fail-open: a failure leaves the
 * call as the client sent it.
 */
export const requestTag: FeatureFactory<RequestTagConfig> = {
  id: 'request-tag',
  description: 'Adds configured metadata tags (and optionally the request id and principal) to every call.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tags: { type: 'object', additionalProperties: { type: 'string', maxLength: 512 }, default: {} },
      request_id_key: { type: 'string', minLength: 1, maxLength: 64 },
      principal_key: { type: 'string', minLength: 1, maxLength: 64 },
      overwrite: { type: 'boolean', default: false },
    },
  },
  create(config) {
    const stamp = (call: Call, ctx: HookContext): Call => {
      const added: Record<string, string> = { ...config.tags };
      if (config.request_id_key !== undefined) added[config.request_id_key] = ctx.requestId;
      if (config.principal_key !== undefined) added[config.principal_key] = ctx.principal;
      const metadata = config.overwrite ? { ...call.metadata, ...added } : { ...added, ...call.metadata };
      return { ...call, metadata };
    };
    return { submitHooks: [{ id: 'stamp-metadata', order: 100, failureMode: 'fail_open', run: stamp }] };
  },
};
