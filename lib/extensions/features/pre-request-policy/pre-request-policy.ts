import { auxiliaryTimeoutProblem } from '../../auxiliary-client.js';
import { refuseConfigProblems, type FeatureConfigProblem, type FeatureFactory } from '../../sdk.js';
import { handlerPattern, judgeHandler, PLAIN_FILE_NAME, readPrompt, type JudgeHandlerConfig } from './judge-handler.js';

/** `features: [{ id: pre-request-policy, config: { prompt_dir?, handlers: [...] } }]` */
export interface PreRequestPolicyConfig {
  /** Where `prompt_filename`s live (relative to lip's working directory). */
  readonly prompt_dir: string;
  readonly handlers: readonly JudgeHandlerConfig[];
}

/**
 * Admission by judge models: each handler asks its judge route about the canonical call and
 * denies (403 in the client's protocol) on its pattern; fail-closed on judge errors and
 * timeouts. Handlers run in `priority` order; the first deny ends the request before routing.
 * @see docs/features.md
 */
export const preRequestPolicy: FeatureFactory<PreRequestPolicyConfig> = {
  id: 'pre-request-policy',
  description: 'Judge-model admission: sends the call to a judge route with a prompt file and denies (403) on a pattern; fail-closed.',
  configSchema: {
    type: 'object', additionalProperties: false, required: ['handlers'],
    properties: {
      prompt_dir: { type: 'string', minLength: 1, default: 'config/prompts/pre_request' },
      handlers: {
        type: 'array', minItems: 1, maxItems: 32,
        items: {
          type: 'object', additionalProperties: false, required: ['id', 'prompt_filename', 'model_routing_string'],
          properties: {
            id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
            priority: { type: 'integer', minimum: 0, default: 100 },
            prompt_filename: { type: 'string', pattern: PLAIN_FILE_NAME },
            model_routing_string: { type: 'string', minLength: 1 },
            policy: { enum: ['deny_on_pattern', 'allow_on_pattern'], default: 'deny_on_pattern' },
            deny_pattern: { type: 'string', minLength: 1, maxLength: 512 },
            allow_pattern: { type: 'string', minLength: 1, maxLength: 512 },
            deny_message: { type: 'string', minLength: 1, maxLength: 512, default: 'request denied' },
            timeout: { lipDuration: true, default: '30s' },
          },
        },
      },
    },
  },
  check(config) {
    const problems: FeatureConfigProblem[] = [];
    const ids = new Map<string, number>();
    config.handlers.forEach((h, i) => {
      const first = ids.get(h.id);
      if (first !== undefined) problems.push({ path: ['handlers', i, 'id'], message: `duplicate handler id "${h.id}" (first used by handlers[${first}])` });
      else ids.set(h.id, i);
      const compiled = handlerPattern(h);
      if ('message' in compiled) problems.push({ path: ['handlers', i, ...(compiled.key ? [compiled.key] : [])], message: compiled.message });
      const prompt = readPrompt(config.prompt_dir, h.prompt_filename);
      if ('message' in prompt) problems.push({ path: ['handlers', i, 'prompt_filename'], message: prompt.message });
      const timeout = auxiliaryTimeoutProblem(h.timeout);
      if (timeout) problems.push({ path: ['handlers', i, 'timeout'], message: timeout });
    });
    return problems;
  },
  references: (config) => config.handlers.map((h, i) => ({ path: ['handlers', i, 'model_routing_string'], selector: h.model_routing_string })),
  create(config, services) {
    refuseConfigProblems(preRequestPolicy.check!(config));
    return { preRequest: config.handlers.map((h) => judgeHandler(h, config.prompt_dir, services.logger)) };
  },
};
