import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import type { BetaMessage, MessageCreateParamsNonStreaming as BetaMessageParams } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { ResponseStreamParams } from 'openai/lib/responses/ResponseStream';
import type { Response, ResponseCreateParamsNonStreaming, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { testConfig } from './config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from './emulators/index.js';
import { startOpenResponsesEmulator } from './emulators/openresponses-emulator.js';
import { startLip, type RunningLip } from './lip.js';

/** The HTTP backend kinds with an emulator of their own wire. */
const START: Record<UpstreamKind, () => Promise<Emulator>> = {
  anthropic: startAnthropicEmulator,
  'openai-chat': startOpenAIChatEmulator,
  'openai-responses': startOpenAIResponsesEmulator,
  gemini: startGeminiEmulator,
  // An Open Responses server that refuses what the specification does not define.
  'custom-openresponses': startOpenResponsesEmulator,
};

export type UpstreamKind = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini' | 'custom-openresponses';

/** One backend row: its kind, and YAML keys beyond id, kind, base_url and api_key (`allowed_tools: filter`). */
export interface UpstreamRow {
  readonly kind: UpstreamKind;
  readonly extra?: string;
  /** Another row's id whose emulator this row shares (two rows of one upstream, configured apart). */
  readonly sharing?: string;
}

/** What a suite gets: the emulators by row id, lip, and the three official SDK clients pointed at it. */
export interface Upstreams {
  readonly emulators: Record<string, Emulator>;
  lip(): RunningLip;
  anthropic(): Anthropic;
  openai(): OpenAI;
  google(): GoogleGenAI;
}

/**
 * Registers the mocha hooks of an end-to-end suite against emulated upstreams: one emulator per
 * row (unless it shares another's), lip with a backend row each (and `extraYaml`: other config
 * sections), the official SDK clients, every
 * emulator's record reset before each test, and everything closed after the suite.
 *
 * ```ts
 * const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });
 * it('...', async () => { await up.openai().chat.completions.create({ model: 'an:claude', ... }); up.emulators.an!.requests; });
 * ```
 */
export function useUpstreams(rows: Readonly<Record<string, UpstreamRow>>, extraYaml = ''): Upstreams {
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip | undefined;
  const clients: { anthropic?: Anthropic; openai?: OpenAI; google?: GoogleGenAI } = {};
  const own = Object.entries(rows).filter(([, row]) => row.sharing === undefined);
  before(async () => {
    const started = await Promise.all(own.map(([, row]) => START[row.kind]()));
    own.forEach(([id], i) => { emulators[id] = started[i]!; });
    const yaml = Object.entries(rows).map(([id, row]) => {
      const url = emulators[row.sharing ?? id]!.url;
      return `  - { id: ${id}, kind: ${row.kind}, base_url: "${url}", api_key: k-0123456789${row.extra ? `, ${row.extra}` : ''} }`;
    });
    lip = await startLip(testConfig(yaml.join('\n'), extraYaml));
    clients.anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    clients.openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
    clients.google = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });
  beforeEach(() => {
    for (const emu of Object.values(emulators)) emu.reset();
  });
  return {
    emulators,
    lip: () => lip!,
    anthropic: () => clients.anthropic!,
    openai: () => clients.openai!,
    google: () => clients.google!,
  };
}

/** A Messages request through the official SDK, whole (`messages.create`) or streamed (`messages.stream().finalMessage()`). */
export function askAnthropic(client: Anthropic, params: Anthropic.MessageCreateParamsNonStreaming, stream: boolean): Promise<Anthropic.Message> {
  return stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);
}

/** askAnthropic on the SDK's beta surface (`beta.messages`: the betas' own request fields and blocks). */
export function askAnthropicBeta(client: Anthropic, params: BetaMessageParams, stream: boolean): Promise<BetaMessage> {
  return stream ? client.beta.messages.stream(params).finalMessage() : client.beta.messages.create(params);
}

/**
 * A Responses request through the official SDK, whole (`responses.create`) or streamed
 * (`responses.stream().finalResponse()`, with every stream event the client saw, in order).
 */
export async function askResponses(client: OpenAI, params: ResponseCreateParamsNonStreaming, stream: boolean): Promise<{ response: Response; events: ResponseStreamEvent[] }> {
  if (!stream) return { response: await client.responses.create(params), events: [] };
  const events: ResponseStreamEvent[] = [];
  const runner = client.responses.stream(params as ResponseStreamParams);
  runner.on('event', (event) => events.push(event));
  return { response: await runner.finalResponse(), events };
}

/**
 * askResponses for a client tool's calls: when streamed, each output item of one of `itemTypes`
 * (`shell_call`, `computer_call`, ...) must have streamed as its own item, added then done, and no
 * function call arguments streamed (the calls are not written as function calls).
 */
export async function askClientToolItems(client: OpenAI, params: ResponseCreateParamsNonStreaming, stream: boolean, itemTypes: readonly string[]): Promise<Response> {
  const { response, events } = await askResponses(client, params, stream);
  if (stream) {
    const items = events.flatMap((e) => (e.type === 'response.output_item.added' || e.type === 'response.output_item.done' ? [[e.type, e.item.type]] : []));
    const own = response.output.filter((i) => itemTypes.includes(i.type)).flatMap((i) => [['response.output_item.added', i.type], ['response.output_item.done', i.type]]);
    expect(items.filter(([, type]) => type !== 'message')).to.deep.equal(own);
    expect(events.map((e) => e.type)).to.not.include('response.function_call_arguments.delta');
  }
  return response;
}

/** An SDK message's content blocks as plain data (the SDK's streamed blocks read some fields, a tool use's input, through getters). */
export const plainBlocks = (content: readonly unknown[]): Record<string, unknown>[] => JSON.parse(JSON.stringify(content)) as Record<string, unknown>[];
