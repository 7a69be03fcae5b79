import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam, ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { FinishReason, Usage } from '../../../lib/canonical/index.js';
import { compact, parseArgs, type ClientDriver, type ClientError, type ClientRequest, type ClientResult } from './types.js';

/**
 * Chat Completions through the official `openai` SDK: streaming with `chat.completions.stream()`
 * (its accumulator builds the final completion; `include_usage` is requested), otherwise
 * `chat.completions.create()`. Reasoning is read from `reasoning_content` (deltas while
 * streaming, since the accumulator does not concatenate that non-standard field).
 */
export const openaiChatClient: ClientDriver = {
  id: 'openai-chat',
  usageFields: ['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'reasoningTokens'],
  refusals: true,
  async run(baseUrl, request) {
    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'test-key', maxRetries: 0 });
    const params = chatParams(request);
    const options = { headers: { ...request.headers } };
    if (!request.stream) {
      try {
        return fromCompletion(await client.chat.completions.create({ ...params, stream: false }, options), '');
      } catch (err) {
        return { text: '', reasoning: '', toolCalls: [], error: chatError(err) };
      }
    }
    let text = '';
    let reasoning = '';
    const runner = client.chat.completions.stream({ ...params, stream: true, stream_options: { include_usage: true } }, options);
    runner.on('chunk', (chunk) => {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      if (delta?.content) text += delta.content;
      if (delta?.reasoning_content) reasoning += delta.reasoning_content;
    });
    try {
      return fromCompletion(await runner.finalChatCompletion(), reasoning);
    } catch (err) {
      return { text, reasoning, toolCalls: [], error: chatError(err) };
    }
  },
};

function chatParams(r: ClientRequest): ChatCompletionCreateParamsBase {
  const messages: ChatCompletionMessageParam[] = [];
  if (r.system !== undefined) messages.push({ role: 'system', content: r.system });
  for (const m of r.messages) {
    if (m.role === 'user') {
      messages.push({ role: 'user', content: m.images?.length ? [{ type: 'text', text: m.text }, ...m.images.map((i) => ({ type: 'image_url' as const, image_url: { url: `data:${i.mime};base64,${i.data}` } }))] : m.text });
    }
    else if (m.role === 'tool') messages.push({ role: 'tool', tool_call_id: m.callId, content: m.content });
    else {
      messages.push({
        role: 'assistant',
        content: m.text ?? null,
        ...(m.toolCalls?.length ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.args) } })) } : {}),
      });
    }
  }
  return {
    model: r.model,
    messages,
    ...(r.tools?.length ? { tools: r.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })) } : {}),
    ...(r.maxOutputTokens !== undefined ? { max_completion_tokens: r.maxOutputTokens } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.reasoning ? { reasoning_effort: 'medium' as const } : {}),
  };
}

function fromCompletion(c: ChatCompletion, streamedReasoning: string): ClientResult {
  const choice = c.choices[0];
  const message = choice?.message as (ChatCompletion['choices'][number]['message'] & { reasoning_content?: string }) | undefined;
  const toolCalls = (message?.tool_calls ?? []).flatMap((t) => (t.type === 'function' ? [{ id: t.id, name: t.function.name, args: parseArgs(t.function.arguments) }] : []));
  return compact({
    text: message?.content ?? '',
    refusal: message?.refusal ?? undefined,
    reasoning: streamedReasoning || message?.reasoning_content || '',
    toolCalls,
    finishReason: finish(choice?.finish_reason),
    rawFinishReason: choice?.finish_reason ?? undefined,
    usage: c.usage ? compact<Usage>({
      inputTokens: c.usage.prompt_tokens,
      outputTokens: c.usage.completion_tokens,
      totalTokens: c.usage.total_tokens,
      cacheReadTokens: c.usage.prompt_tokens_details?.cached_tokens,
      reasoningTokens: c.usage.completion_tokens_details?.reasoning_tokens,
    }) : undefined,
    raw: c,
  });
}

function finish(reason: string | null | undefined): FinishReason | undefined {
  switch (reason) {
    case 'stop': return 'stop';
    case 'length': return 'length';
    case 'tool_calls': case 'function_call': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return reason ? 'other' : undefined;
  }
}

function chatError(err: unknown): ClientError {
  if (err instanceof OpenAI.APIError) {
    const body = err.error as { message?: string; type?: string; code?: string } | undefined;
    return compact({ status: err.status, message: body?.message ?? err.message, type: body?.type ?? err.type ?? undefined, code: body?.code ?? (err.code ?? undefined) });
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
