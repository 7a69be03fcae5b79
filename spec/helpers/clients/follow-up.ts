import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content } from '@google/genai';
import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { Response, ResponseInputItem } from 'openai/resources/responses/responses';
import type { ClientResult, ClientTool } from './types.js';

/** The tools, question and tool result of the two-turn scenarios (matrix, provider state). */
export const TOOLS: ClientTool[] = [
  { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
];
export const QUESTION = 'Weather in Paris and the time in CET?';
export const TOOL_RESULT = '{"temp":21}';

export type FollowUp = (baseUrl: string, model: string, first: ClientResult) => Promise<unknown>;

/**
 * The second turn of a reasoning conversation, the way real clients send it: the SDK's own
 * assistant output (`first.raw`) goes back verbatim with a tool result for each call. The client drivers
 * speak a protocol-neutral history that has no room for signatures, hence these four.
 */
export const FOLLOW_UP: Record<string, FollowUp> = {
  async 'openai-chat'(baseUrl, model, first) {
    const message = (first.raw as ChatCompletion).choices[0]!.message;
    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'k', maxRetries: 0 });
    const assistant = { role: 'assistant' as const, content: message.content, tool_calls: message.tool_calls, ...(first.reasoning ? { reasoning_content: first.reasoning } : {}) };
    return client.chat.completions.create({
      model, reasoning_effort: 'medium', tools: TOOLS.map((t) => ({ type: 'function' as const, function: t })),
      messages: [{ role: 'user', content: QUESTION }, assistant, ...first.toolCalls.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: TOOL_RESULT }))],
    });
  },
  async 'openai-responses'(baseUrl, model, first) {
    const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'k', maxRetries: 0 });
    const input: ResponseInputItem[] = [
      { role: 'user', content: QUESTION }, ...((first.raw as Response).output as ResponseInputItem[]),
      ...first.toolCalls.map((c): ResponseInputItem => ({ type: 'function_call_output', call_id: c.id, output: TOOL_RESULT })),
    ];
    return client.responses.create({
      model, input, store: false, include: ['reasoning.encrypted_content'], reasoning: { effort: 'medium', summary: 'auto' },
      tools: TOOLS.map((t) => ({ type: 'function' as const, name: t.name, description: t.description ?? null, parameters: t.parameters, strict: false })),
    });
  },
  async anthropic(baseUrl, model, first) {
    const client = new Anthropic({ baseURL: baseUrl, apiKey: 'k', maxRetries: 0, openTelemetry: false });
    return client.messages.create({
      model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: TOOLS.map((t) => ({ name: t.name, description: t.description!, input_schema: t.parameters as { type: 'object' } })),
      messages: [
        { role: 'user', content: QUESTION }, { role: 'assistant', content: (first.raw as Anthropic.Message).content },
        { role: 'user', content: first.toolCalls.map((c) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: TOOL_RESULT })) },
      ],
    });
  },
  async gemini(baseUrl, model, first) {
    const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl, apiVersion: 'v1beta' } });
    const modelTurn = (first.raw as { candidates: { content: Content }[] }).candidates[0]!.content;
    return ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ text: QUESTION }] }, modelTurn,
        { role: 'user', parts: first.toolCalls.map((call) => ({ functionResponse: { ...(call.id ? { id: call.id } : {}), name: call.name, response: { result: TOOL_RESULT } } })) },
      ],
      config: { tools: [{ functionDeclarations: TOOLS.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }], thinkingConfig: { includeThoughts: true } },
    });
  },
};
