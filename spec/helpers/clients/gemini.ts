import { ApiError, GoogleGenAI, type Content, type GenerateContentParameters, type GenerateContentResponse, type Part } from '@google/genai';
import type { FinishReason, Usage } from '../../../lib/canonical/index.js';
import { compact, type ClientDriver, type ClientError, type ClientRequest } from './types.js';

/**
 * Gemini through the official `@google/genai` SDK (`httpOptions: { baseUrl, apiVersion:
 * 'v1beta' }`): `models.generateContentStream()` (SSE, `?alt=sse`) or `models.generateContent()`.
 * Streamed chunks are folded here the way Gemini clients do: parts appended in order, the last
 * `finishReason` and `usageMetadata` win. Usage back in canonical terms: output = candidates +
 * thoughts. Tool results are sent as `functionResponse: {id, name, response: {result}}`.
 */
export const geminiClient: ClientDriver = {
  id: 'gemini',
  usageFields: ['inputTokens', 'outputTokens', 'totalTokens', 'cacheReadTokens', 'reasoningTokens'],
  async run(baseUrl, request) {
    const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl, apiVersion: 'v1beta', headers: { ...request.headers } } });
    const params = geminiParams(request);
    const parts: Part[] = [];
    let last: GenerateContentResponse | undefined;
    let finishReason: string | undefined;
    let usage: GenerateContentResponse['usageMetadata'];
    try {
      const chunks = request.stream ? await ai.models.generateContentStream(params) : [await ai.models.generateContent(params)];
      for await (const chunk of chunks) {
        last = chunk;
        const candidate = chunk.candidates?.[0];
        parts.push(...(candidate?.content?.parts ?? []));
        if (candidate?.finishReason) finishReason = candidate.finishReason;
        if (chunk.usageMetadata) usage = chunk.usageMetadata;
      }
    } catch (err) {
      return { ...fromParts(parts), error: geminiError(err) };
    }
    const folded = fromParts(parts);
    return compact({
      ...folded,
      finishReason: finish(finishReason, folded.toolCalls.length > 0),
      rawFinishReason: finishReason,
      usage: usage ? compact<Usage>({
        inputTokens: usage.promptTokenCount,
        outputTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
        totalTokens: usage.totalTokenCount,
        cacheReadTokens: usage.cachedContentTokenCount,
        reasoningTokens: usage.thoughtsTokenCount,
      }) : undefined,
      raw: { candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }], usageMetadata: usage, modelVersion: last?.modelVersion, responseId: last?.responseId },
    });
  },
};

function geminiParams(r: ClientRequest): GenerateContentParameters {
  const contents: Content[] = [];
  for (const m of r.messages) {
    if (m.role === 'user') contents.push({ role: 'user', parts: [{ text: m.text }, ...(m.images ?? []).map((i) => ({ inlineData: { mimeType: i.mime, data: i.data } }))] });
    else if (m.role === 'tool') {
      const part: Part = { functionResponse: { id: m.callId, name: m.name, response: { result: m.content } } };
      const prev = contents[contents.length - 1];
      if (prev?.role === 'user' && prev.parts?.every((p) => p.functionResponse)) prev.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
    } else {
      const parts: Part[] = [];
      if (m.text) parts.push({ text: m.text });
      for (const c of m.toolCalls ?? []) parts.push({ functionCall: { id: c.id, name: c.name, args: c.args as Record<string, unknown> } });
      contents.push({ role: 'model', parts });
    }
  }
  return {
    model: r.model,
    contents,
    config: {
      ...(r.system !== undefined ? { systemInstruction: r.system } : {}),
      ...(r.tools?.length ? { tools: [{ functionDeclarations: r.tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }] } : {}),
      ...(r.maxOutputTokens !== undefined ? { maxOutputTokens: r.maxOutputTokens } : {}),
      ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
      ...(r.reasoning ? { thinkingConfig: { includeThoughts: true } } : {}),
    },
  };
}

function fromParts(parts: readonly Part[]): { text: string; reasoning: string; toolCalls: { id: string; name: string; args: unknown }[] } {
  let text = '';
  let reasoning = '';
  const toolCalls: { id: string; name: string; args: unknown }[] = [];
  for (const p of parts) {
    if (p.functionCall) toolCalls.push({ id: p.functionCall.id ?? '', name: p.functionCall.name ?? '', args: p.functionCall.args ?? {} });
    else if (typeof p.text === 'string') {
      if (p.thought) reasoning += p.text;
      else text += p.text;
    }
  }
  return { text, reasoning, toolCalls };
}

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);

function finish(reason: string | undefined, hasTools: boolean): FinishReason | undefined {
  if (reason === undefined) return undefined;
  if (reason === 'STOP') return hasTools ? 'tool_calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  return FILTERED.has(reason) ? 'content_filter' : 'other';
}

/** ApiError carries the status and, in its message, the JSON error body. */
function geminiError(err: unknown): ClientError {
  if (err instanceof ApiError) {
    const at = err.message.indexOf('{');
    let body: { error?: { message?: string; status?: string; details?: { reason?: string }[] } } | undefined;
    try {
      body = at >= 0 ? JSON.parse(err.message.slice(at)) : undefined;
    } catch {
      body = undefined;
    }
    const reason = body?.error?.details?.find((d) => typeof d.reason === 'string')?.reason;
    return compact({ status: err.status, message: body?.error?.message ?? err.message, type: body?.error?.status, code: reason });
  }
  return { message: err instanceof Error ? err.message : String(err) };
}
