import { bearerKey, startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { argumentsObject, deltas, emulatedEmbedding, emulatedLogprob, finishOf, type Frame, type Script, type UsageScript } from './script.js';
import { thoughtSignatureRefusal } from './state-check.js';

const FINISH: Record<string, string> = { stop: 'STOP', length: 'MAX_TOKENS', tool_calls: 'STOP', content_filter: 'SAFETY', stop_sequence: 'STOP' };
const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^:]+):(streamGenerateContent|generateContent|countTokens|embedContent|batchEmbedContents)$/;

/** Google's error envelope; the script's `fields` are more members of the error object (`details`: a QuotaFailure, a RetryInfo). */
export function geminiErrorBody(status: number, error: { message: string; type?: string; fields?: Readonly<Record<string, unknown>> }): unknown {
  return { error: { code: status, message: error.message, status: error.type ?? STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'), ...error.fields } };
}

/**
 * What the Gemini API refuses in any generation: a part with nothing in it (`{}`, `{"text": ""}`;
 * a signature on empty text is taken), in its words; more than 5 stop sequences (the wording is
 * the emulator's); on a Gemini 2.x or older model (`model`), tools beside a JSON response
 * (`responseMimeType: application/json`), in its words (Gemini 3 takes both); a thinking budget
 * out of a Gemini 2.5 model's range (thinkingBudgetRefusal).
 */
function refuseGemini(body: Record<string, any> | undefined, model: string | undefined): { status: number; error: { message: string; type: string } } | undefined {
  const thinking = thinkingBudgetRefusal(body?.generationConfig?.thinkingConfig?.thinkingBudget, model);
  if (thinking) return { status: 400, error: { message: thinking, type: 'INVALID_ARGUMENT' } };
  const json = body?.generationConfig?.responseMimeType === 'application/json';
  const tools: any[] = Array.isArray(body?.tools) ? body!.tools : [];
  if (json && tools.length > 0 && /(?:^|\/)gemini-(?:[12](?:[.-]|$)|pro(?:-vision)?$)/i.test(model ?? '')) {
    const what = tools.some((t) => t?.functionDeclarations !== undefined) ? 'Function calling' : 'Tool use';
    return { status: 400, error: { message: `${what} with a response mime type: 'application/json' is unsupported`, type: 'INVALID_ARGUMENT' } };
  }
  const stops = body?.generationConfig?.stopSequences;
  if (Array.isArray(stops) && stops.length > 5) {
    return { status: 400, error: { message: `* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed, got ${stops.length}\n`, type: 'INVALID_ARGUMENT' } };
  }
  for (const [i, content] of (Array.isArray(body?.contents) ? body!.contents : []).entries()) {
    for (const [j, part] of (Array.isArray(content?.parts) ? content.parts : []).entries()) {
      const fields = Object.keys(part ?? {}).filter((key) => key !== 'thought' && !(key === 'text' && part.text === '' && part.thoughtSignature === undefined));
      if (fields.length === 0) {
        return { status: 400, error: { message: `* GenerateContentRequest.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`, type: 'INVALID_ARGUMENT' } };
      }
    }
  }
  return undefined;
}

/**
 * A thinking budget a Gemini 2.5 model refuses, in Google's words: Flash takes 0 to 24576,
 * Flash-Lite 0 or 512 to 24576, Pro 128 to 32768 (0 is "only works in thinking mode"); -1
 * (dynamic) all of them. Other models are not checked.
 */
function thinkingBudgetRefusal(budget: unknown, model: string | undefined): string | undefined {
  const family = /(?:^|\/)gemini-(?:2\.5-)?(flash-lite|flash|pro)(?:-|$)/i.exec(model ?? '')?.[1]?.toLowerCase();
  if (typeof budget !== 'number' || family === undefined || budget === -1) return undefined;
  if (family === 'pro' && budget === 0) return 'Budget 0 is invalid. This model only works in thinking mode.';
  const [min, max] = family === 'pro' ? [128, 32768] : family === 'flash-lite' ? [512, 24576] : [0, 24576];
  return budget !== 0 && (budget < min || budget > max) ? `The thinking budget (${budget}) is invalid.` : undefined;
}

/** Gemini usage from canonical numbers: thoughts are NOT inside candidatesTokenCount. */
export function geminiUsageWire(u: UsageScript): Record<string, unknown> {
  const thoughts = u.reasoning ?? 0;
  return {
    promptTokenCount: u.input, candidatesTokenCount: u.output - thoughts, totalTokenCount: u.input + u.output,
    ...(u.cacheRead ? { cachedContentTokenCount: u.cacheRead } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: u.input }],
  };
}

/** The chunks of a script, as GenerateContentResponse objects (each flagged when it carries output). */
function chunks(script: Script, request: RecordedRequest, withFinish = true): { body: Record<string, unknown>; output: boolean }[] {
  const model = script.model ?? request.model ?? 'gemini-2.5-flash';
  const responseId = script.id ?? 'emuResponse0001';
  const usage = geminiUsageWire(script.usage ?? { input: 8, output: 4 });
  const chunk = (parts: Record<string, unknown>[], finish?: string) => ({
    candidates: [{ content: { parts, role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
    usageMetadata: usage, modelVersion: model, responseId,
  });
  // A blocked prompt: Google answers no candidates, only why (and the prompt's usage).
  if (script.promptFeedback !== undefined) return [{ body: { promptFeedback: script.promptFeedback, usageMetadata: usage, modelVersion: model, responseId }, output: false }];
  const out: { body: Record<string, unknown>; output: boolean }[] = [];
  const thoughts = deltas(script.reasoning?.text);
  thoughts.forEach((text, i) => {
    const signed = i === thoughts.length - 1 && script.reasoning?.signature ? { thoughtSignature: script.reasoning.signature } : {};
    out.push({ body: chunk([{ text, thought: true, ...signed }]), output: true });
  });
  if (thoughts.length === 0 && script.reasoning?.signature) out.push({ body: chunk([{ text: '', thoughtSignature: script.reasoning.signature }]), output: false });
  // The built-ins' parts (executableCode and codeExecutionResult, toolCall and toolResponse): each whole, in a chunk of its own.
  for (const part of script.hosted ?? []) out.push({ body: chunk([{ ...part }]), output: true });
  const logprobs = request.body?.generationConfig?.responseLogprobs === true;
  const top = typeof request.body?.generationConfig?.logprobs === 'number' ? request.body.generationConfig.logprobs : 0;
  deltas(script.text).forEach((text, i) => {
    const body = chunk([{ text, ...(i === 0 && script.textSignature ? { thoughtSignature: script.textSignature } : {}) }]);
    if (logprobs) {
      const t = emulatedLogprob(text, i, top);
      const entry = (a: { token: string; logprob: number }) => ({ token: a.token, logProbability: a.logprob });
      (body.candidates[0] as Record<string, unknown>).logprobsResult = { topCandidates: [{ candidates: t.top.map(entry) }], chosenCandidates: [entry(t)] };
    }
    out.push({ body, output: true });
  });
  // An image model's images: each whole, in a frame of its own, after the text.
  for (const part of script.media ?? []) out.push({ body: chunk([{ ...part }]), output: true });
  const calls = (script.toolCalls ?? []).map((call) => ({
    functionCall: { name: call.name, args: argumentsObject(call.args) },
    ...(call.signature ? { thoughtSignature: call.signature } : {}),
  }));
  if (calls.length > 0) out.push({ body: chunk(calls), output: true });
  const finish = script.rawFinish ?? (script.continuation ? 'CONTINUATION' : FINISH[finishOf(script)]!);
  if (script.continuation?.checkpoints) out.forEach((c, i) => { (c.body as { candidates: Record<string, unknown>[] }).candidates[0]!.continuationToken = `${script.continuation!.token}-checkpoint${i}`; });
  // Gemini's empty answer: the usage alone, no candidate.
  if (script.unfinished && out.length === 0) return [{ body: { usageMetadata: usage, modelVersion: model, responseId }, output: false }];
  if (!withFinish || script.unfinished) return out;
  if (out.length === 0) out.push({ body: chunk([{ text: '' }], finish), output: false });
  else {
    const last = out[out.length - 1]!.body as { candidates: Record<string, unknown>[] };
    last.candidates[0]!.finishReason = finish;
  }
  if (script.continuation) (out[out.length - 1]!.body as { candidates: Record<string, unknown>[] }).candidates[0]!.continuationToken = script.continuation.token;
  if (script.finishMessage !== undefined) (out[out.length - 1]!.body as { candidates: Record<string, unknown>[] }).candidates[0]!.finishMessage = script.finishMessage;
  if (script.candidateFields !== undefined) Object.assign((out[out.length - 1]!.body as { candidates: Record<string, unknown>[] }).candidates[0]!, script.candidateFields);
  const grounding = script.grounding ?? groundingOf(script);
  if (grounding) (out[out.length - 1]!.body as { candidates: Record<string, unknown>[] }).candidates[0]!.groundingMetadata = grounding;
  // URL context: Google reports the pages it read on the first chunk's candidate.
  if (script.hostedMeta && out.length > 0) (out[0]!.body as { candidates: Record<string, unknown>[] }).candidates[0]!.urlContextMetadata = script.hostedMeta;
  return out;
}

/**
 * A script's searches and citations as Gemini reports Google Search grounding, on the last
 * chunk: `searchEntryPoint` (the search suggestions Google asks apps to show), the pages
 * (`groundingChunks`: the searches' results, then cited urls not among them), one support per
 * citation whose segment is its text delta in UTF-8 byte offsets of the candidate's text (a zero
 * `startIndex` left out, as protobuf JSON does), and the queries. Gemini has no failed search:
 * a search with an `error` is not reported.
 */
function groundingOf(script: Script): Record<string, unknown> | undefined {
  const searches = (script.searches ?? []).filter((s) => s.error === undefined);
  const citations = script.citations ?? [];
  if (searches.length === 0 && citations.length === 0) return undefined;
  const chunks: { web: { uri: string; title?: string } }[] = [];
  const chunkOf = (url: string, title?: string): number => {
    const at = chunks.findIndex((c) => c.web.uri === url);
    return at >= 0 ? at : chunks.push({ web: { uri: url, ...(title !== undefined ? { title } : {}) } }) - 1;
  };
  for (const search of searches) for (const result of search.results ?? []) chunkOf(result.url, result.title);
  const texts = deltas(script.text);
  const supports = citations.map((c) => {
    const start = Buffer.byteLength(texts.slice(0, c.delta).join(''), 'utf8');
    const text = texts[c.delta] ?? '';
    return { segment: { ...(start > 0 ? { startIndex: start } : {}), endIndex: start + Buffer.byteLength(text, 'utf8'), text }, groundingChunkIndices: [chunkOf(c.url ?? "", c.title)] };
  });
  const queries = searches.map((s) => s.query);
  return {
    searchEntryPoint: { renderedContent: `<div class="container">${queries.map((q) => `<a class="chip">${q}</a>`).join('')}</div>` },
    ...(chunks.length > 0 ? { groundingChunks: chunks } : {}),
    ...(supports.length > 0 ? { groundingSupports: supports } : {}),
    ...(queries.length > 0 ? { webSearchQueries: queries } : {}),
  };
}

/**
 * The Gemini API as generativelanguage.googleapis.com streams it with `alt=sse`: `data:` frames
 * separated by CRLF CRLF, each a whole GenerateContentResponse (candidates with parts, the
 * running usageMetadata, modelVersion, responseId); thought parts carry `thought: true`,
 * signatures ride on parts as `thoughtSignature`, function calls come whole, and the last frame
 * has the finishReason (and the script's searches and citations as `groundingMetadata`, see
 * groundingOf, or `script.grounding` as written: Maps or File Search grounding). The built-ins'
 * parts (`script.hosted`: code execution's, a built-in's `toolCall` and `toolResponse`) come before
 * the text, each whole in a frame of its own; an image model's images (`script.media`) likewise
 * after it. URL context's `urlContextMetadata` (`script.hostedMeta`) rides on the first frame's
 * candidate (unstreamed: on the candidate). An `unfinished` script's answer has no
 * `finishReason` (without content: Gemini's empty answer, usage and no candidate). There is no
 * terminal frame. What each request carried (tools, contents and the parts in them) is recorded
 * as sent. A part with nothing in it and more than 5 stop sequences (and, on Gemini 2.x, tools
 * beside a JSON response) are refused, as the API refuses them (refuseGemini).
 */
export const geminiProtocol: EmulatorProtocol = {
  refuse: (request) => refuseGemini(request.body, request.model),
  name: 'gemini',
  basePath: '',
  match(method, path, query) {
    const m = PATH.exec(path);
    if (method === 'POST' && m?.[3] === 'countTokens') return { route: 'count_tokens', model: safeDecode(m[2]!) };
    if (method === 'POST' && (m?.[3] === 'embedContent' || m?.[3] === 'batchEmbedContents')) return { route: 'embeddings', model: safeDecode(m[2]!) };
    if (method === 'POST' && m) return { route: 'generate', stream: m[3] === 'streamGenerateContent' && query.get('alt') === 'sse', model: safeDecode(m[2]!) };
    if (method === 'GET' && /^\/(v1beta|v1|v1alpha)\/models$/.test(path)) return { route: 'models' };
    return undefined;
  },
  keyOf: (headers, query) => (typeof headers['x-goog-api-key'] === 'string' ? headers['x-goog-api-key'] : query.get('key') ?? bearerKey(headers)),
  errorBody: geminiErrorBody,
  count: {
    fields: ['contents', 'generateContentRequest'],
    answer: (tokens) => ({ totalTokens: tokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: tokens }] }),
  },
  embeddings: {
    fields: ['requests', 'content', 'taskType', 'title', 'outputDimensionality', 'model'],
    answer(request) {
      const embed = (r: { content?: { parts?: { text?: string }[] }; outputDimensionality?: number }) => ({
        values: emulatedEmbedding((r.content?.parts ?? []).map((p) => p.text ?? '').join(''), r.outputDimensionality),
      });
      if (request.path.endsWith(':embedContent')) return { embedding: embed(request.body ?? {}) };
      return { embeddings: ((request.body?.requests ?? []) as Parameters<typeof embed>[0][]).map(embed) };
    },
  },
  stateRefusal(request, issued) {
    const message = thoughtSignatureRefusal(request.body?.contents, issued);
    return message ? { status: 400, error: { message, type: 'INVALID_ARGUMENT' } } : undefined;
  },
  modelList: (models) => ({
    models: models.map((id) => ({
      name: `models/${id}`, version: '001', displayName: id, inputTokenLimit: 1_048_576, outputTokenLimit: 65_536,
      supportedGenerationMethods: ['generateContent', 'countTokens'],
    })),
  }),

  frames(script: Script, request: RecordedRequest): Frame[] {
    const frames: Frame[] = chunks(script, request, !script.streamError).map((c) => ({ text: `data: ${JSON.stringify(c.body)}\r\n\r\n`, output: c.output }));
    if (script.streamError) {
      frames.push({ text: `data: ${JSON.stringify(geminiErrorBody(500, script.streamError))}\r\n\r\n`, output: false });
    }
    return frames;
  },

  json(script: Script, request: RecordedRequest): unknown {
    if (script.streamError) return geminiErrorBody(500, script.streamError);
    const all = chunks(script, request).map((c) => c.body);
    if (request.path.endsWith(':streamGenerateContent')) return all; // a stream without alt=sse is a JSON array
    if (script.promptFeedback !== undefined || all[0]!.candidates === undefined) return all[0];
    const parts = all.flatMap((c) => ((c.candidates as { content: { parts: unknown[] } }[])[0]!.content.parts));
    const last = all[all.length - 1]! as { candidates: Record<string, unknown>[] };
    const results = all.map((c) => (c.candidates as { logprobsResult?: { topCandidates: unknown[]; chosenCandidates: unknown[] } }[])[0]!.logprobsResult).filter((r) => r !== undefined);
    const logprobsResult = results.length > 0 ? { logprobsResult: { topCandidates: results.flatMap((r) => r!.topCandidates), chosenCandidates: results.flatMap((r) => r!.chosenCandidates) } } : {};
    const urlContext = script.hostedMeta ? { urlContextMetadata: script.hostedMeta } : {};
    return { ...last, candidates: [{ ...last.candidates[0], content: { parts, role: 'model' }, ...urlContext, ...logprobsResult }] };
  },
};

/** A Gemini API upstream on a free port; `url` is the origin (requests go to `/v1beta/...`). */
export function startGeminiEmulator(): Promise<Emulator> {
  return startEmulator(geminiProtocol);
}

/** A percent-decoded path segment; malformed escapes are kept as sent (the emulator must not throw). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
