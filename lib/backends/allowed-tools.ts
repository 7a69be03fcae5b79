import type { Call, ToolDefinition } from '../canonical/index.js';

/** The tools the call lets the model call: its `allowed` list when the choice has one, else all. */
export function allowedNames(call: Call): readonly string[] | undefined {
  const choice = call.toolChoice;
  return choice.type === 'auto' || choice.type === 'any' ? choice.allowed : undefined;
}

/**
 * The tools a backend declares when its provider cannot restrict the choice among declared tools:
 * only the allowed ones (so the restriction holds; the provider's prompt cache of the tool list
 * then follows the allowed set).
 */
export function callableTools(call: Call): readonly ToolDefinition[] {
  const allowed = allowedNames(call);
  return allowed ? call.tools.filter((t) => allowed.includes(t.name)) : call.tools;
}
