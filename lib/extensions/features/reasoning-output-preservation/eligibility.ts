import { REASONING_DIALECTS } from '../../../canonical/index.js';
import type { AttemptTarget } from '../../sdk.js';

/** `rules[]`: one backend row (by id), for all its models or those whose name contains a keyword. */
export interface PreservationRule {
  readonly backend: string;
  /** Case-insensitive substrings of the model name; absent or empty: every model of the row. */
  readonly models?: readonly string[];
  readonly enabled: boolean;
}

/**
 * The built-in catalog: model families served over Chat Completions that want their own
 * reasoning (`reasoning_content`) back in later turns, at least in a turn that called tools
 * (DeepSeek answers 400 "Missing `reasoning_content` field in the assistant message" without it).
 * A family name matches at the start of the model or after a non-alphanumeric character, and is
 * not followed by a letter: `deepseek-reasoner`, `moonshotai/kimi-k2-thinking`, `z-ai/glm-4.6`,
 * `qwen3-235b`, `openai/gpt-oss-120b`, but not `deepseeker` or `kimiko`.
 */
export const BUILTIN_FAMILIES = ['deepseek', 'kimi', 'moonshot', 'moonshotai', 'glm', 'minimax', 'qwen', 'mimo', 'gpt-oss'] as const;

const FAMILY = new RegExp(`(?:^|[^a-z0-9])(?:${BUILTIN_FAMILIES.map((f) => f.replace(/[-]/g, '\\-')).join('|')})(?![a-z])`, 'i');

/** How a candidate was matched (or not), in precedence order. */
export type Match = 'rule_model_disabled' | 'rule_model' | 'rule_backend_disabled' | 'rule_backend' | 'model_catalog' | 'builtin' | 'none';

/**
 * Whether the feature works on `target`: an explicit rule for its backend and a keyword of its
 * model (disabled before enabled), then one for its backend alone (the same), then the built-in
 * catalog (a Chat Completions backend serving a catalogue family), else not. With `modelCatalog`,
 * the model catalog's `interleaved` (the model wants its reasoning back) comes before the
 * built-in catalog: true makes a Chat candidate eligible, false leaves it out.
 */
export function matchTarget(target: AttemptTarget, rules: readonly PreservationRule[], builtin: boolean, modelCatalog = true): Match {
  const model = target.model.toLowerCase();
  const mine = rules.filter((r) => r.backend === target.backendId);
  if (mine.length > 0) {
    const byModel = mine.filter((r) => r.models !== undefined && r.models.length > 0 && r.models.some((k) => model.includes(k.trim().toLowerCase())));
    if (byModel.some((r) => !r.enabled)) return 'rule_model_disabled';
    if (byModel.length > 0) return 'rule_model';
    const whole = mine.filter((r) => r.models === undefined || r.models.length === 0);
    if (whole.some((r) => !r.enabled)) return 'rule_backend_disabled';
    if (whole.length > 0) return 'rule_backend';
  }
  const chat = target.reasoning?.label === REASONING_DIALECTS.openaiChat;
  const interleaved = modelCatalog ? target.catalog?.interleaved : undefined;
  if (interleaved !== undefined) return interleaved && chat ? 'model_catalog' : 'none';
  if (builtin && chat && FAMILY.test(target.model)) return 'builtin';
  return 'none';
}

export function matches(match: Match): boolean {
  return match === 'rule_model' || match === 'rule_backend' || match === 'model_catalog' || match === 'builtin';
}
