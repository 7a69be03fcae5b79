import type { FeatureFactory } from '../../sdk.js';
import { appendToFirstUserText } from '../ref-request-suffix/index.js';

/** `features: [{ id: ref-autoappend-file, config: { order?, file_text? } }]` */
export interface RefAutoappendFileConfig {
  readonly order: number;
  readonly file_text: string;
}

/** The request-scope state key the session opener sets on a new session's first request. */
export const AUTOAPPEND_LABEL = 'lip_ref_autoappend';

/**
 * Reference plugin for the session seam: a session opener marks the first request of a new
 * conversation (a request that started its A-leg) `lip_ref_autoappend = pending` in its
 * request state; a request transform then appends `file_text` to the first text part of the
 * first user message that has one, only when that mark is set and `file_text` is not empty.
 * Later requests of the conversation are left alone. Both fail-open.
 * @see docs/features.md
 */
export const refAutoappendFile: FeatureFactory<RefAutoappendFileConfig> = {
  id: 'ref-autoappend-file',
  description: 'Reference session opener + request transform: appends file_text to the first user text of a new session\'s first request.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: { order: { type: 'integer', minimum: 0, default: 40 }, file_text: { type: 'string', maxLength: 65_536, default: '\n[ref-autoappend-file]\n' } },
  },
  create(config) {
    return {
      sessionOpeners: [{
        id: 'mark-new-session', order: config.order, failureMode: 'fail_open',
        async run(call, ctx) {
          if (ctx.newSession) await ctx.state('request').put(AUTOAPPEND_LABEL, 'pending');
          return call;
        },
      }],
      requestTransforms: [{
        id: 'append-file', order: config.order, failureMode: 'fail_open',
        async run(call, ctx) {
          if (config.file_text === '') return call;
          const state = ctx.state('request');
          if ((await state.get<string>(AUTOAPPEND_LABEL)) !== 'pending') return call;
          await state.delete(AUTOAPPEND_LABEL);
          return appendToFirstUserText(call, config.file_text);
        },
      }],
    };
  },
};
