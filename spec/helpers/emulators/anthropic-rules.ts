type Json = Record<string, any>;
type Refusal = { status: number; error: { message: string; type?: string; code?: string } } | undefined;

/**
 * What Anthropic's Messages API refuses in a request's combination of fields, whatever the test,
 * in its own words: thinking (a budget or adaptive) beside a tool choice that forces a call
 * (`any`, or one `tool`): "Thinking may not be enabled when tool_choice forces tool use."
 * Bedrock's Converse refuses the same for a Claude model (thinking in
 * `additionalModelRequestFields`, `toolConfig.toolChoice` `any` or `tool`), the model's words
 * wrapped in a ValidationException.
 */
const FORCED_WITH_THINKING = 'Thinking may not be enabled when tool_choice forces tool use.';
const thinks = (thinking: Json | undefined) => thinking?.type === 'enabled' || thinking?.type === 'adaptive';

export function refuseAnthropicCombination(body: Json | undefined): Refusal {
  const forced = body?.tool_choice?.type === 'any' || body?.tool_choice?.type === 'tool';
  if (forced && thinks(body?.thinking)) return { status: 400, error: { message: FORCED_WITH_THINKING, type: 'invalid_request_error' } };
  return undefined;
}

export function refuseBedrockCombination(body: Json | undefined): Refusal {
  const choice = body?.toolConfig?.toolChoice;
  const forced = choice?.any !== undefined || choice?.tool !== undefined;
  if (forced && thinks(body?.additionalModelRequestFields?.thinking)) {
    return { status: 400, error: { message: `The model returned the following errors: ${FORCED_WITH_THINKING}`, type: 'ValidationException' } };
  }
  return undefined;
}
