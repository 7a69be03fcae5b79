import type { ToolChoice } from '../canonical/index.js';

/**
 * A choice restricted to some of the declared tools: the model may call only `names` (each once
 * in the list), and must call one of them when `required`. Must call the only one = a named tool.
 */
export function allowedChoice(required: boolean, names: readonly string[]): ToolChoice {
  const allowed = [...new Set(names)];
  if (required && allowed.length === 1) return { type: 'tool', name: allowed[0]! };
  return { type: required ? 'any' : 'auto', allowed };
}
