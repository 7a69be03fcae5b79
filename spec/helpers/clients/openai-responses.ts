import OpenAI from 'openai';
import type { Response, ResponseCreateParamsBase, ResponseInputItem } from 'openai/resources/responses/responses';
import type { FinishReason, Usage } from '../../../lib/canonical/index.js';
import { compact, parseArgs, type ClientDriver, type ClientError, type ClientRequest, type ClientResult } from './types.js';

/**
 * OpenAI Responses through the official `openai` SDK: streaming with `responses.stream()` (its
 * accumulator checks every output_index / content_index and builds the final Response),
 * otherwise `responses.create()`. A `failed` Response counts as an error.
 */
export const openaiResponsesClient: ClientDriver = {
  id: 'openai-responses',
  usageFields: ['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'reasoningTokens'],
  refusals: true,
  async run(baseUrl, request) {
    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'test-key', maxRetries: 0 });
    const params = responsesParams(request);
    const options = { headers: { ...request.headers } };
    if (!request.stream) {
      try {
        return fromResponse(await client.responses.create({ ...params, stream: false }, options));
      } catch (err) {
        return { text: '', reasoning: '', toolCalls: [], error: responsesError(err) };
      }
    }
    let text = '';
    let reasoning = '';
    const stream = client.responses.stream({ ...params, stream: true }, options);
    stream.on('response.output_text.delta', (e) => { text += e.delta; });
    stream.on('response.reasoning_summary_text.delta', (e) => { reasoning += e.delta; });
    try {
      return fromResponse(await stream.finalResponse());
    } catch (err) {
      return { text, reasoning, toolCalls: [], error: responsesError(err) };
    }
  },
};

function responsesParams(r: ClientRequest): ResponseCreateParamsBase {
  const input: ResponseInputItem[] = [];
  for (const m of r.messages) {
    if (m.role === 'user') {
      input.push({ role: 'user', content: m.images?.length ? [{ type: 'input_text', text: m.text }, ...m.images.map((i) => ({ type: 'input_image' as const, detail: 'auto' as const, image_url: `data:${i.mime};base64,${i.data}` }))] : m.text });
    }
    else if (m.role === 'tool') input.push({ type: 'function_call_output', call_id: m.callId, output: m.content });
    else {
      if (m.text) input.push({ role: 'assistant', content: m.text });
      for (const c of m.toolCalls ?? []) input.push({ type: 'function_call', call_id: c.id, name: c.name, arguments: JSON.stringify(c.args) });
    }
  }
  return {
    model: r.model,
    input,
    store: false,
    ...(r.system !== undefined ? { instructions: r.system } : {}),
    ...(r.tools?.length ? { tools: r.tools.map((t) => ({ type: 'function' as const, name: t.name, description: t.description ?? null, parameters: t.parameters, strict: false })) } : {}),
    ...(r.maxOutputTokens !== undefined ? { max_output_tokens: r.maxOutputTokens } : {}),
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.reasoning ? { reasoning: { effort: 'medium' as const, summary: 'auto' as const }, include: ['reasoning.encrypted_content' as const] } : {}),
  };
}

function fromResponse(res: Response): ClientResult {
  let text = '';
  let refusal = '';
  let reasoning = '';
  const toolCalls: { id: string; name: string; args: unknown }[] = [];
  for (const item of res.output) {
    if (item.type === 'message') for (const c of item.content) if (c.type === 'output_text') text += c.text; else refusal += c.refusal;
    else if (item.type === 'reasoning') reasoning += item.summary.map((s) => s.text).join('');
    else if (item.type === 'function_call') toolCalls.push({ id: item.call_id, name: item.name, args: parseArgs(item.arguments) });
  }
  const u = res.usage;
  const base = {
    text, reasoning, toolCalls, raw: res, ...(refusal ? { refusal } : {}),
    rawFinishReason: res.incomplete_details?.reason ? `${res.status}:${res.incomplete_details.reason}` : res.status,
    usage: u ? compact<Usage>({
      inputTokens: u.input_tokens,
      outputTokens: u.output_tokens,
      totalTokens: u.total_tokens,
      cacheReadTokens: u.input_tokens_details?.cached_tokens,
      reasoningTokens: u.output_tokens_details?.reasoning_tokens,
    }) : undefined,
  };
  if (res.status === 'failed') return compact({ ...base, error: compact({ message: res.error?.message ?? 'failed', code: res.error?.code ?? undefined }) });
  return compact({ ...base, finishReason: finish(res, toolCalls.length > 0) });
}

function finish(res: Response, hasTools: boolean): FinishReason | undefined {
  if (res.status === 'incomplete') return res.incomplete_details?.reason === 'max_output_tokens' ? 'length' : res.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'other';
  if (res.status === 'completed') return hasTools ? 'tool_calls' : 'stop';
  return undefined;
}

function responsesError(err: unknown): ClientError {
  if (err instanceof OpenAI.APIError) {
    const body = err.error as { message?: string; type?: string; code?: string } | undefined;
    return compact({ status: err.status, message: body?.message ?? err.message, type: body?.type ?? err.type ?? undefined, code: body?.code ?? (err.code ?? undefined) });
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
