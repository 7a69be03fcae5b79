import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsBase, MessageParam, ContentBlockParam } from '@anthropic-ai/sdk/resources/messages/messages';
import type { FinishReason, Usage } from '../../../lib/canonical/index.js';
import { compact, type ClientDriver, type ClientError, type ClientRequest, type ClientResult } from './types.js';

/**
 * Anthropic Messages through the official `@anthropic-ai/sdk`: streaming with
 * `messages.stream().finalMessage()` (its accumulator throws on a second message_start or a
 * delta for a block that does not exist), otherwise `messages.create()`. Usage is turned back
 * into the canonical convention: input = input_tokens + cache reads + cache writes.
 */
export const anthropicClient: ClientDriver = {
  id: 'anthropic',
  usageFields: ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'],
  async run(baseUrl, request) {
    const client = new Anthropic({ baseURL: baseUrl, apiKey: 'test-key', maxRetries: 0, openTelemetry: false });
    const params = messagesParams(request);
    const options = { headers: { ...request.headers } };
    if (!request.stream) {
      try {
        return fromMessage(await client.messages.create({ ...params, stream: false }, options));
      } catch (err) {
        return { text: '', reasoning: '', toolCalls: [], error: anthropicError(err) };
      }
    }
    let text = '';
    let reasoning = '';
    const stream = client.messages.stream(params, options);
    stream.on('text', (delta) => { text += delta; });
    stream.on('thinking', (delta) => { reasoning += delta; });
    try {
      return fromMessage(await stream.finalMessage());
    } catch (err) {
      return { text, reasoning, toolCalls: [], error: anthropicError(err) };
    }
  },
};

function messagesParams(r: ClientRequest): MessageCreateParamsBase {
  const messages: MessageParam[] = [];
  for (const m of r.messages) {
    if (m.role === 'user') {
      messages.push({ role: 'user', content: m.images?.length ? [{ type: 'text', text: m.text }, ...m.images.map((i) => ({ type: 'image' as const, source: { type: 'base64' as const, media_type: i.mime, data: i.data } }))] : m.text });
    }
    else if (m.role === 'tool') {
      const block: ContentBlockParam = { type: 'tool_result', tool_use_id: m.callId, content: m.content };
      const last = messages[messages.length - 1];
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result')) last.content.push(block);
      else messages.push({ role: 'user', content: [block] });
    } else {
      const content: ContentBlockParam[] = [];
      if (m.text) content.push({ type: 'text', text: m.text });
      for (const c of m.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.args as Record<string, unknown> });
      messages.push({ role: 'assistant', content });
    }
  }
  const maxTokens = r.maxOutputTokens ?? (r.reasoning ? 4096 : 1024);
  return {
    model: r.model,
    max_tokens: maxTokens,
    messages,
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.system !== undefined ? { system: r.system } : {}),
    ...(r.tools?.length ? { tools: r.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters as { type: 'object' } })) } : {}),
    ...(r.reasoning ? { thinking: { type: 'enabled' as const, budget_tokens: Math.min(1024, maxTokens - 1) } } : {}),
  };
}

function fromMessage(m: Message): ClientResult {
  let text = '';
  let reasoning = '';
  const toolCalls: { id: string; name: string; args: unknown }[] = [];
  for (const block of m.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') reasoning += block.thinking;
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, args: block.input });
  }
  const u = m.usage;
  const read = u.cache_read_input_tokens ?? 0;
  const write = u.cache_creation_input_tokens ?? 0;
  return compact({
    text, reasoning, toolCalls, raw: m,
    finishReason: finish(m.stop_reason),
    rawFinishReason: m.stop_reason ?? undefined,
    usage: compact<Usage>({
      inputTokens: u.input_tokens + read + write,
      outputTokens: u.output_tokens,
      cacheReadTokens: u.cache_read_input_tokens ?? undefined,
      cacheWriteTokens: u.cache_creation_input_tokens ?? undefined,
    }),
  });
}

function finish(reason: string | null): FinishReason | undefined {
  switch (reason) {
    case 'end_turn': return 'stop';
    case 'max_tokens': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'stop_sequence': return 'stop_sequence';
    case 'refusal': return 'content_filter';
    case null: return undefined;
    default: return 'other';
  }
}

function anthropicError(err: unknown): ClientError {
  if (err instanceof Anthropic.APIError) {
    const body = err.error as { error?: { type?: string; message?: string } } | undefined;
    return compact({ status: err.status, message: body?.error?.message ?? err.message, type: body?.error?.type ?? err.type ?? undefined });
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
