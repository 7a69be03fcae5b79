import { globPattern } from '../../wire/index.js';

/**
 * The model families the Converse encoding tells apart: Anthropic's Claude models (thinking,
 * `top_k`, no top-p beside a temperature, Claude's strict-schema subset, cache points in the
 * system, the messages and the tools), Amazon Nova (cache points in the system and the messages)
 * and the others (none of that).
 */
export const BEDROCK_FAMILIES = ['anthropic', 'nova', 'other'] as const;
export type BedrockFamily = (typeof BEDROCK_FAMILIES)[number];

/**
 * The family a model id names by itself: a foundation model id, a cross-region inference
 * profile (`us.`, `global.` ... before it) or an ARN with the foundation id in it. An application
 * inference profile or a provisioned-throughput ARN (`.../application-inference-profile/a1b2c3`,
 * `.../provisioned-model/abc`) names no model, and is `other` unless the row's `model_families`
 * says what it serves.
 */
export function familyOfId(model: string): BedrockFamily {
  if (/(^|[./:])anthropic\./.test(model)) return 'anthropic';
  return /(^|[./:])amazon\.nova-/.test(model) ? 'nova' : 'other';
}

/**
 * A row's `model_families` (model id or glob -> family) compiled once, at config load: the family
 * of a model is that of the first pattern, in the order written, that matches the whole id (`*`
 * any run of characters, `?` one: globPattern), else what the id names by itself (familyOfId).
 *
 * ```ts
 * const familyOf = modelFamilies({ 'arn:aws:bedrock:*:*:application-inference-profile/abc*': 'anthropic' });
 * familyOf('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123') // 'anthropic'
 * familyOf('amazon.nova-pro-v1:0') // 'nova'
 * ```
 * @see spec/backends/bedrock/model-family.spec.ts
 */
export function modelFamilies(given: Readonly<Record<string, BedrockFamily>> | undefined): (model: string) => BedrockFamily {
  const rules = Object.entries(given ?? {}).map(([glob, family]) => ({ pattern: globPattern(glob), family }));
  if (rules.length === 0) return familyOfId;
  return (model) => rules.find((r) => r.pattern.test(model))?.family ?? familyOfId(model);
}
