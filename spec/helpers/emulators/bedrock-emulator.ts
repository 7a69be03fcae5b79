import { createHash } from 'node:crypto';
import { refuseBedrock } from './wire-identifiers.js';
import { grammarProblem, refuseBedrockCombination } from './anthropic-rules.js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../../lib/backends/bedrock/sha256.js';
import { bearerKey, startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { argumentsObject, deltas, emulatedEmbedding, finishOf, joined, type CitationScript, type Frame, type ReasoningScript, type Script, type UsageScript } from './script.js';
import { signedTurnRefusal } from './state-check.js';

/**
 * The static credentials the emulator knows (any other access key id is unrecognised). The
 * secret is the matrix's shared upstream key, so the specs that echo it in an upstream error
 * prove that lip masks a static secret too.
 */
export const EMULATOR_AWS = { accessKeyId: 'AKIDEMULATOR0000', secretAccessKey: 'test-key-0123456789', region: 'us-east-1' } as const;
/** Bedrock API keys (bearer) the emulator accepts. */
export const EMULATOR_BEARER_KEYS = new Set(['test-key-0123456789', 'bedrock-api-key-1', 'bedrock-api-key-2']);

/**
 * The application inference profiles and provisioned throughput of the emulated account, by ARN:
 * the foundation model each serves. Bedrock resolves such an ARN to its model and holds the
 * request to that model's rules, although the ARN names no model (lip learns the family from the
 * row's `model_families`).
 */
export const EMULATOR_PROFILES: ReadonlyMap<string, string> = new Map([
  ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/emuclaude01', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
  ['arn:aws:bedrock:us-east-1:123456789012:provisioned-model/emuclaude02', 'anthropic.claude-sonnet-4-5-20250929-v1:0'],
]);

/**
 * Foundation models the emulated account can invoke only through an inference profile: named by
 * their own id, Converse refuses them (a 400 ValidationException), as Bedrock refuses the Claude 4
 * models without the `us.` / `global.` before the id.
 */
export const EMULATOR_PROFILE_ONLY: ReadonlySet<string> = new Set(['anthropic.claude-opus-4-20250514-v1:0']);

/** A model invoked on demand by its own id although it takes an inference profile only (EMULATOR_PROFILE_ONLY), refused in Bedrock's words. */
function refuseOnDemand(model: string | undefined): { status: number; error: { message: string; type: string } } | undefined {
  if (model === undefined || !EMULATOR_PROFILE_ONLY.has(model)) return undefined;
  return { status: 400, error: { type: 'ValidationException', message: `Invocation of model ID ${model} with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.` } };
}

/** The model a request's id serves: the foundation model of a profile or provisioned ARN (EMULATOR_PROFILES), else the id itself. */
const servedModel = (model: string | undefined): string | undefined => (model === undefined ? undefined : EMULATOR_PROFILES.get(model) ?? model);

const STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'content_filtered', stop_sequence: 'stop_sequence' };
const ERROR_TYPES: Record<number, string> = {
  400: 'ValidationException', 401: 'UnrecognizedClientException', 403: 'AccessDeniedException', 404: 'ResourceNotFoundException', 408: 'ModelTimeoutException',
  424: 'ModelErrorException', 429: 'ThrottlingException', 500: 'InternalServerException', 503: 'ServiceUnavailableException',
};
const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|count-tokens|invoke)$/;

const codec = new EventStreamCodec((b) => Buffer.from(b).toString('utf8'), (s) => new Uint8Array(Buffer.from(s, 'utf8')));

/** One event-stream frame: `:message-type`, `:event-type` (or `:exception-type`) and a JSON payload. */
export function bedrockFrame(type: string, payload: unknown, messageType: 'event' | 'exception' = 'event'): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [messageType === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}

/** Converse usage from canonical numbers: cache reads and writes are NOT inside inputTokens. */
export function bedrockUsageWire(u: UsageScript): Record<string, number> {
  const read = u.cacheRead ?? 0;
  const write = u.cacheWrite ?? 0;
  return {
    inputTokens: u.input - read - write, outputTokens: u.output, totalTokens: u.input + u.output,
    ...(read ? { cacheReadInputTokens: read } : {}), ...(write ? { cacheWriteInputTokens: write } : {}),
  };
}

const LOCATION = { char: 'documentChar', page: 'documentPage', block: 'documentChunk' } as const;

/** A script's document citation as Converse writes it (`sourceContent`: the cited text). */
function citationWire(c: CitationScript, text: string): Record<string, unknown> {
  const d = c.document!;
  return { ...(d.title !== undefined ? { title: d.title } : {}), sourceContent: [{ text: c.citedText ?? text }], location: { [LOCATION[d.kind]]: { documentIndex: d.index, start: d.start, end: d.end } } };
}

/**
 * The text deltas in content blocks when the script cites documents: a cited delta is a block of
 * its own with its citations (`citationsContent` whole), the deltas between share one.
 */
function citedBlocks(script: Script): { deltas: string[]; citations: Record<string, unknown>[] }[] {
  const blocks: { deltas: string[]; citations: Record<string, unknown>[] }[] = [];
  deltas(script.text).forEach((text, i) => {
    const cited = (script.citations ?? []).filter((c) => c.delta === i && c.document !== undefined).map((c) => citationWire(c, text));
    const last = blocks.at(-1);
    if (cited.length === 0 && last && last.citations.length === 0) last.deltas.push(text);
    else blocks.push({ deltas: [text], citations: cited });
    if (cited.length > 0) blocks.push({ deltas: [], citations: [] });
  });
  return blocks.filter((b) => b.deltas.length > 0);
}

const citesDocuments = (script: Script) => (script.citations ?? []).some((c) => c.document !== undefined);

/** A reasoning script's blocks in a whole answer: the reasoning text (with its signature), then the redacted content. */
function reasoningBlocks(r: ReasoningScript | undefined): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  if (r?.text !== undefined || r?.signature !== undefined) blocks.push({ reasoningContent: { reasoningText: { text: joined(r.text), ...(r.signature ? { signature: r.signature } : {}) } } });
  if (r?.redacted !== undefined) blocks.push({ reasoningContent: { redactedContent: r.redacted } });
  return blocks;
}

/** A reasoning script's blocks as Converse streams them from `index` on: text deltas with the signature before the block stops, then the redacted content. */
function reasoningFrames(r: ReasoningScript | undefined, index: number, frame: (type: string, payload: unknown, output?: boolean) => Frame): Frame[] {
  const frames: Frame[] = [];
  if (r && (r.text !== undefined || r.signature !== undefined)) {
    for (const text of deltas(r.text)) frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { text } } }, true));
    if (r.signature !== undefined) frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { signature: r.signature } } }));
    frames.push(frame('contentBlockStop', { contentBlockIndex: index++ }));
  }
  if (r?.redacted !== undefined) {
    frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { redactedContent: r.redacted } } }, true));
    frames.push(frame('contentBlockStop', { contentBlockIndex: index }));
  }
  return frames;
}

function content(script: Script): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [...reasoningBlocks(script.reasoning)];
  if (citesDocuments(script)) {
    for (const b of citedBlocks(script)) blocks.push(b.citations.length > 0 ? { citationsContent: { content: [{ text: b.deltas.join('') }], citations: b.citations } } : { text: b.deltas.join('') });
  } else if (deltas(script.text).length > 0) blocks.push({ text: joined(script.text) });
  (script.toolCalls ?? []).forEach((call, i) => blocks.push(...reasoningBlocks(call.reasoning), { toolUse: { toolUseId: call.id ?? `tooluse_emu${i + 1}`, name: call.name, input: argumentsObject(call.args) } }));
  return blocks;
}

/**
 * The model's own answer fields a Converse request asked for (`additionalModelResponseFieldPaths`,
 * JSON Pointers into the model's answer), as Bedrock returns them (`additionalModelResponseFields`,
 * the fields at their paths): of a Claude model's answer, `/stop_sequence` is the stop sequence
 * that matched (null when none did); a path the answer has not is ignored, as Bedrock ignores it.
 */
function responseFields(script: Script, request: RecordedRequest): Record<string, unknown> {
  const paths: unknown = request.body?.additionalModelResponseFieldPaths;
  if (!Array.isArray(paths) || !paths.includes('/stop_sequence') || !/(^|[./:])anthropic\./.test(servedModel(request.model) ?? '')) return {};
  return { additionalModelResponseFields: { stop_sequence: finishOf(script) === 'stop_sequence' ? script.stopSequence ?? null : null } };
}

/**
 * A request's `additionalModelResponseFieldPaths` refused as Converse refuses it: not a list of
 * JSON Pointers (an empty one, one without the leading `/`) is a 400 ValidationException.
 */
function refuseFieldPaths(body: Record<string, any> | undefined): { status: number; error: { message: string; type: string } } | undefined {
  const paths: unknown = body?.additionalModelResponseFieldPaths;
  if (paths === undefined) return undefined;
  const bad = !Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== 'string' || !p.startsWith('/'));
  return bad ? { status: 400, error: { type: 'ValidationException', message: 'The format of the value at additionalModelResponseFieldPaths is invalid. Provide a json object for the field and try again.' } } : undefined;
}

/**
 * `inferenceConfig` refused as Converse checks it for every model: `temperature` and `topP` from 0
 * to 1 (a 400 ValidationException in its validation words).
 */
function refuseInferenceConfig(body: Record<string, any> | undefined): { status: number; error: { message: string; type: string } } | undefined {
  for (const field of ['temperature', 'topP']) {
    const value = body?.inferenceConfig?.[field];
    if (typeof value !== 'number' || (value >= 0 && value <= 1)) continue;
    const constraint = value > 1 ? 'less than or equal to 1' : 'greater than or equal to 0';
    return { status: 400, error: { type: 'ValidationException', message: `1 validation error detected: Value '${value}' at 'inferenceConfig.${field}' failed to satisfy constraint: Member must have value ${constraint}` } };
  }
  return undefined;
}

const blank = (b: any) => typeof b?.text === 'string' && !/\S/u.test(b.text);

/**
 * A text block that is empty or only whitespace refused as Converse refuses it (a 400
 * ValidationException naming the block): in `system`, in a message, in a tool result's content.
 */
function refuseBlankText(body: Record<string, any> | undefined): { status: number; error: { message: string; type: string } } | undefined {
  const refusal = (kind: string, at: string) => ({ status: 400, error: { type: 'ValidationException', message: `The text field in the ${kind} object at ${at} is blank. Add text to the text field, and try again.` } });
  for (const [i, b] of (Array.isArray(body?.system) ? body!.system : []).entries()) if (blank(b)) return refusal('SystemContentBlock', `system.${i}`);
  for (const [i, m] of (Array.isArray(body?.messages) ? body!.messages : []).entries()) {
    for (const [j, b] of (Array.isArray(m?.content) ? m.content : []).entries()) {
      if (blank(b)) return refusal('ContentBlock', `messages.${i}.content.${j}`);
      for (const [k, r] of (Array.isArray(b?.toolResult?.content) ? b.toolResult.content : []).entries()) {
        if (blank(r)) return refusal('ToolResultContentBlock', `messages.${i}.content.${j}.toolResult.content.${k}`);
      }
    }
  }
  return undefined;
}

/**
 * Converse's structured outputs refused as Converse refuses them: `outputConfig.textFormat` must be
 * `{type: "json_schema", structure: {jsonSchema: {schema}}}` with the schema a JSON string (not an
 * object), `toolSpec.strict` a boolean; for a Claude model, whose grammar Converse compiles as
 * Anthropic does, a strict tool's schema or the format's outside Claude's subset is the model's
 * error ("The model returned the following errors: tools.0.custom: For 'integer' type, property
 * 'minimum' is not supported"; grammarProblem).
 */
function refuseStructuredOutput(body: Record<string, any> | undefined, model: string | undefined): { status: number; error: { message: string; type: string } } | undefined {
  const invalid = (path: string, constraint: string) => ({ status: 400, error: { type: 'ValidationException', message: `1 validation error detected: Value at '${path}' failed to satisfy constraint: ${constraint}` } });
  const modelError = (message: string) => ({ status: 400, error: { type: 'ValidationException', message: `The model returned the following errors: ${message}` } });
  const claude = /(^|[./:])anthropic\./.test(model ?? '');
  for (const [i, t] of (Array.isArray(body?.toolConfig?.tools) ? body!.toolConfig.tools : []).entries()) {
    const strict = t?.toolSpec?.strict;
    if (strict !== undefined && typeof strict !== 'boolean') return invalid(`toolConfig.tools.${i + 1}.member.toolSpec.strict`, 'Member must be a boolean');
    const problem = strict === true && claude ? grammarProblem(t.toolSpec.inputSchema?.json) : undefined;
    if (problem !== undefined) return modelError(`tools.${i}.custom: ${problem}`);
  }
  const format = body?.outputConfig?.textFormat;
  if (body?.outputConfig === undefined) return undefined;
  if (format?.type !== 'json_schema') return invalid('outputConfig.textFormat.type', 'Member must satisfy enum value set: [json_schema]');
  const schema = format.structure?.jsonSchema?.schema;
  if (typeof schema !== 'string') return invalid('outputConfig.textFormat.structure.jsonSchema.schema', 'Member must be a string containing a JSON schema');
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    return invalid('outputConfig.textFormat.structure.jsonSchema.schema', 'Member must be a valid JSON schema');
  }
  const problem = claude ? grammarProblem(parsed) : undefined;
  return problem !== undefined ? modelError(`output_config.format.schema: ${problem}`) : undefined;
}

/**
 * A conversation with `toolUse` or `toolResult` blocks but no `toolConfig` refused as Converse
 * refuses it (a 400 ValidationException), whatever the model.
 */
function refuseToolHistoryWithoutConfig(body: Record<string, any> | undefined): { status: number; error: { message: string; type: string } } | undefined {
  if (body?.toolConfig !== undefined) return undefined;
  const blocks = (Array.isArray(body?.messages) ? body!.messages : []).flatMap((m: any) => (Array.isArray(m?.content) ? m.content : []));
  if (!blocks.some((b: any) => b?.toolUse !== undefined || b?.toolResult !== undefined)) return undefined;
  return { status: 400, error: { type: 'ValidationException', message: 'The toolConfig field must be defined when using toolUse and toolResult content blocks.' } };
}

/** Two documents of one name in a request (a message's or a tool result's) refused as Converse refuses them. */
function refuseDuplicateDocumentNames(body: Record<string, any> | undefined): { status: number; error: { message: string; type: string } } | undefined {
  const blocks = (Array.isArray(body?.messages) ? body!.messages : []).flatMap((m: any) => (Array.isArray(m?.content) ? m.content : []));
  const names = [...blocks, ...blocks.flatMap((b: any) => (Array.isArray(b?.toolResult?.content) ? b.toolResult.content : []))]
    .map((b: any) => b?.document?.name).filter((n: unknown) => n !== undefined);
  return new Set(names).size < names.length ? { status: 400, error: { type: 'ValidationException', message: "Messages can't contain duplicate document names" } } : undefined;
}

/**
 * A message with a document but no text block refused as Converse refuses it (a 400
 * ValidationException), whatever the model.
 */
function refuseDocumentWithoutText(body: Record<string, any> | undefined): { status: number; error: { message: string; type: string } } | undefined {
  for (const m of Array.isArray(body?.messages) ? body!.messages : []) {
    const blocks: any[] = Array.isArray(m?.content) ? m.content : [];
    if (blocks.some((b) => b?.document !== undefined) && !blocks.some((b) => typeof b?.text === 'string')) {
      return { status: 400, error: { type: 'ValidationException', message: 'A text block must be included when using documents.' } };
    }
  }
  return undefined;
}

/**
 * The InvokeModel body fields each embedding model takes, by its id (foundation id, inference
 * profile or ARN naming it); none for any other model, so its body is refused with a 400
 * ValidationException as Bedrock refuses a body the model does not take.
 */
export function invokeModelFields(model: string | undefined): readonly string[] {
  const named = (pattern: RegExp) => pattern.test(model ?? '');
  if (named(/(^|[./:])amazon\.titan-embed-text-v2/)) return ['inputText', 'dimensions', 'normalize', 'embeddingTypes'];
  if (named(/(^|[./:])amazon\.titan-embed-image-v1/)) return ['inputText', 'inputImage', 'embeddingConfig'];
  if (named(/(^|[./:])amazon\.titan-embed/)) return ['inputText'];
  if (named(/(^|[./:])cohere\.embed-v4/)) return ['texts', 'images', 'inputs', 'input_type', 'embedding_types', 'output_dimension', 'max_tokens', 'truncate'];
  if (named(/(^|[./:])cohere\.embed/)) return ['texts', 'images', 'input_type', 'truncate', 'embedding_types'];
  return [];
}

/**
 * An InvokeModel embeddings answer as Bedrock gives it. Titan: `{embedding, inputTextTokenCount}`
 * for the one `inputText` (V2 adds `embeddingsByType`), the length from `dimensions` or
 * `embeddingConfig.outputEmbeddingLength`, the count the script's input usage or a quarter of
 * the characters. Cohere: `{id, embeddings, response_type, texts}`, the vectors a list
 * (`embeddings_floats`) or, for Embed v4 or when `embedding_types` is asked, by type
 * (`embeddings_by_type`), the length from `output_dimension`; no token count.
 */
function invokeModelAnswer(request: RecordedRequest, script: Script): unknown {
  const body = request.body ?? {};
  if (typeof body.inputText === 'string') {
    const embedding = emulatedEmbedding(body.inputText, body.dimensions ?? body.embeddingConfig?.outputEmbeddingLength);
    const inputTextTokenCount = script.usage?.input ?? Math.ceil(body.inputText.length / 4);
    return { embedding, inputTextTokenCount, ...(/titan-embed-text-v2/.test(request.model ?? '') ? { embeddingsByType: { float: embedding } } : {}) };
  }
  const texts: string[] = body.texts ?? [];
  const vectors = texts.map((text) => emulatedEmbedding(text, body.output_dimension));
  const byType = /cohere\.embed-v4/.test(request.model ?? '') || body.embedding_types !== undefined;
  return { id: `emu-embed-${texts.length}`, texts, ...(byType ? { embeddings: { float: vectors }, response_type: 'embeddings_by_type' } : { embeddings: vectors, response_type: 'embeddings_floats' }) };
}

/** How far a signing time may be from the emulator's clock, as AWS allows. */
const SKEW_LIMIT_MS = 5 * 60_000;

/** A time as SigV4 writes it (`20261208T030000Z`). */
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * Checks a request's SigV4 signature the way AWS does: the credential scope must name the
 * `bedrock` service, the access key must be known, the signing time (`x-amz-date`) within five
 * minutes of `now` (else 403 InvalidSignatureException "Signature expired: ... is now earlier
 * than ..." or "Signature not yet current: ... is still later than ...", AWS's words), and the
 * signature recomputed with `@smithy/signature-v4` over the received method, path (as sent,
 * encoded once), signed headers and body must match. A bearer token must be a known Bedrock API key.
 */
export async function verifyBedrockRequest(request: RecordedRequest, now: () => number = Date.now): Promise<{ status: number; error: { message: string; type: string } } | undefined> {
  const auth = request.headers.authorization;
  if (typeof auth !== 'string') return { status: 403, error: { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' } };
  const bearer = bearerKey(request.headers);
  if (bearer !== undefined) {
    return EMULATOR_BEARER_KEYS.has(bearer) ? undefined : { status: 403, error: { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' } };
  }
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { status: 403, error: { type: 'IncompleteSignatureException', message: 'Authorization header requires Credential, SignedHeaders and Signature' } };
  const [, keyId, , region, service, signedHeaders] = m;
  if (service !== 'bedrock') return { status: 403, error: { type: 'InvalidSignatureException', message: `Credential should be scoped to correct service: 'bedrock', not '${service}'` } };
  if (keyId !== EMULATOR_AWS.accessKeyId) return { status: 403, error: { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' } };
  const date = String(request.headers['x-amz-date'] ?? '');
  const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!at) return { status: 403, error: { type: 'IncompleteSignatureException', message: 'missing or malformed X-Amz-Date' } };
  const signedAt = Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!);
  const clock = now();
  if (signedAt < clock - SKEW_LIMIT_MS) {
    return { status: 403, error: { type: 'InvalidSignatureException', message: `Signature expired: ${date} is now earlier than ${amzDate(clock - SKEW_LIMIT_MS)} (${amzDate(clock)} - 5 min.)` } };
  }
  if (signedAt > clock + SKEW_LIMIT_MS) {
    return { status: 403, error: { type: 'InvalidSignatureException', message: `Signature not yet current: ${date} is still later than ${amzDate(clock + SKEW_LIMIT_MS)} (${amzDate(clock)} + 5 min.)` } };
  }
  const payloadHash = createHash('sha256').update(request.raw, 'utf8').digest('hex');
  if (request.headers['x-amz-content-sha256'] !== undefined && request.headers['x-amz-content-sha256'] !== payloadHash) {
    return { status: 400, error: { type: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." } };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) headers[name] = name === 'x-amz-content-sha256' ? payloadHash : String(request.headers[name] ?? '');
  const token = request.headers['x-amz-security-token'];
  const signer = new SignatureV4({
    service: 'bedrock', region: region!, sha256: Sha256,
    credentials: { accessKeyId: keyId!, secretAccessKey: EMULATOR_AWS.secretAccessKey, ...(typeof token === 'string' ? { sessionToken: token } : {}) },
  });
  const [host, port] = String(request.headers.host ?? '').split(':');
  const query: Record<string, string> = {};
  for (const [k, v] of request.query) query[k] = v;
  const signed = await signer.sign({
    method: request.method, protocol: 'http:', hostname: host!, ...(port ? { port: Number(port) } : {}), path: request.path, query, headers,
    ...(request.raw ? { body: request.raw } : {}),
  }, { signingDate: new Date(signedAt) });
  if (signed.headers.authorization !== auth) {
    return { status: 403, error: { type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' } };
  }
  return undefined;
}

/**
 * Amazon Bedrock Runtime as bedrock-runtime.{region}.amazonaws.com answers it:
 * `POST /model/{id}/converse-stream` streams `application/vnd.amazon.eventstream` frames
 * (CRC-checked, encoded with `@smithy/eventstream-codec`, written in 7-byte slices so frames
 * straddle chunks): messageStart, reasoning deltas with the signature before the block stops,
 * redacted reasoning, text, toolUse start/input/stop by contentBlockIndex (after the call's own
 * reasoning when it has some: interleaved thinking), messageStop with the
 * stopReason, and the usage in a metadata event after it. `POST /model/{id}/converse` answers
 * one JSON object; `POST /model/{id}/invoke` (InvokeModel) embeds with Titan and Cohere models
 * (`invokeModelAnswer`); `GET /foundation-models` lists models (ListFoundationModels). Every request
 * must carry a valid SigV4 signature (recomputed here) or a known Bedrock API key, name no model
 * that takes an inference profile only by its own id (refuseOnDemand), a temperature
 * and top-p from 0 to 1 (refuseInferenceConfig), no blank text block (refuseBlankText), no
 * `toolUse` or `toolResult` block without a `toolConfig` (refuseToolHistoryWithoutConfig), no two documents of one name, no
 * document in a message without a text block (refuseDocumentWithoutText), and structured outputs in the shape
 * Converse takes (refuseStructuredOutput: for a Claude model inside Claude's subset); a profile or
 * provisioned ARN of EMULATOR_PROFILES is held to the rules of the model it serves; errors carry
 * `x-amzn-errortype` and `{message}`; a `streamError` is an exception frame.
 */
export const bedrockProtocol: EmulatorProtocol = {
  refuse: (request) => {
    const model = servedModel(request.model);
    return refuseOnDemand(request.model) ?? refuseBedrock(request.body) ?? refuseInferenceConfig(request.body) ?? refuseBedrockCombination(request.body, model) ?? refuseFieldPaths(request.body) ?? refuseBlankText(request.body)
      ?? refuseToolHistoryWithoutConfig(request.body) ?? refuseDuplicateDocumentNames(request.body) ?? refuseDocumentWithoutText(request.body) ?? refuseStructuredOutput(request.body, model);
  },
  name: 'bedrock',
  basePath: '',
  streamContentType: 'application/vnd.amazon.eventstream',
  sliceBytes: 7,
  malformedFrame: (() => {
    const frame = Buffer.from(bedrockFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }));
    frame[frame.length - 1] ^= 0xff; // the message CRC no longer matches
    return new Uint8Array(frame);
  })(),
  match(method, path) {
    const m = PATH.exec(path);
    if (m && method === 'POST') {
      let model = m[1]!;
      try { model = decodeURIComponent(model); } catch { /* keep it */ }
      if (m[2] === 'invoke') return { route: 'embeddings', model };
      return m[2] === 'count-tokens' ? { route: 'count_tokens', model } : { route: 'generate', stream: m[2] === 'converse-stream', model };
    }
    if (method === 'GET' && path === '/foundation-models') return { route: 'models' };
    return undefined;
  },
  keyOf: (headers) => bearerKey(headers) ?? /Credential=([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1],
  verify: verifyBedrockRequest,
  errorBody: (_status, error) => ({ message: error.message }),
  count: { fields: ['input'], answer: (tokens) => ({ inputTokens: tokens }) },
  embeddings: { fields: (request) => invokeModelFields(request.model), answer: invokeModelAnswer },
  stateRefusal(request, issued) {
    const message = signedTurnRefusal(request.body?.messages, issued, {
      thinking: (b) => (b?.reasoningContent?.reasoningText ? { text: b.reasoningContent.reasoningText.text, signature: b.reasoningContent.reasoningText.signature } : undefined),
      redacted: (b) => b?.reasoningContent?.redactedContent,
      toolId: (b) => b?.toolUse?.toolUseId,
      defaultToolId: (i) => `tooluse_emu${i + 1}`,
    });
    return message ? { status: 400, error: { message, type: 'ValidationException' } } : undefined;
  },
  errorHeaders: (status, error) => ({ 'x-amzn-errortype': `${error.type ?? ERROR_TYPES[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException')}:http://internal.amazon.com/coral/com.amazon.bedrock/` }),
  modelList: (models) => ({
    modelSummaries: models.map((id) => ({
      modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${id}`, modelId: id, modelName: id, providerName: 'Emulated',
      inputModalities: ['TEXT'], outputModalities: ['TEXT'], responseStreamingSupported: true, inferenceTypesSupported: ['ON_DEMAND'],
      modelLifecycle: { status: 'ACTIVE' },
    })),
  }),

  frames(script: Script, request: RecordedRequest): Frame[] {
    const frame = (type: string, payload: unknown, output = false): Frame => ({ text: '', bytes: bedrockFrame(type, payload), output });
    const frames: Frame[] = [frame('messageStart', { role: 'assistant' })];
    let index = 0;
    frames.push(...reasoningFrames(script.reasoning, index, frame));
    index += reasoningBlocks(script.reasoning).length;
    const text = deltas(script.text);
    if (citesDocuments(script)) {
      for (const b of citedBlocks(script)) {
        for (const t of b.deltas) frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { text: t } }, true));
        for (const citation of b.citations) frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { citation } }));
        frames.push(frame('contentBlockStop', { contentBlockIndex: index++ }));
      }
    } else if (text.length > 0) {
      for (const t of text) frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { text: t } }, true));
      frames.push(frame('contentBlockStop', { contentBlockIndex: index++ }));
    }
    (script.toolCalls ?? []).forEach((call, i) => {
      frames.push(...reasoningFrames(call.reasoning, index, frame));
      index += reasoningBlocks(call.reasoning).length;
      frames.push(frame('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: call.id ?? `tooluse_emu${i + 1}`, name: call.name } } }, true));
      for (const input of deltas(call.args)) frames.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input } } }, true));
      frames.push(frame('contentBlockStop', { contentBlockIndex: index++ }));
    });
    if (script.streamError) {
      frames.push({ text: '', bytes: bedrockFrame(script.streamError.type ?? 'modelStreamErrorException', { message: script.streamError.message }, 'exception'), output: false });
      return frames;
    }
    frames.push(frame('messageStop', { stopReason: script.rawFinish ?? STOP[finishOf(script)]!, ...responseFields(script, request) }));
    frames.push(frame('metadata', { usage: bedrockUsageWire(script.usage ?? { input: 10, output: 5 }), metrics: { latencyMs: 42 }, p: 'padding' }));
    return frames;
  },

  json(script: Script, request: RecordedRequest): unknown {
    if (script.streamError) return { message: script.streamError.message };
    return {
      output: { message: { role: 'assistant', content: content(script) } },
      stopReason: script.rawFinish ?? STOP[finishOf(script)]!, ...responseFields(script, request),
      usage: bedrockUsageWire(script.usage ?? { input: 10, output: 5 }), metrics: { latencyMs: 42 },
    };
  },
};

/**
 * A Bedrock Runtime upstream on a free port; `url` is the origin (a row's `base_endpoint`). With
 * `clockSkewMs`, its clock is that far from this machine's: it checks signing times against it
 * and its error answers carry it as their `Date`, as AWS's do.
 */
export function startBedrockEmulator(options: { readonly clockSkewMs?: number } = {}): Promise<Emulator> {
  const skew = options.clockSkewMs ?? 0;
  if (skew === 0) return startEmulator(bedrockProtocol);
  const now = () => Date.now() + skew;
  return startEmulator({
    ...bedrockProtocol,
    verify: (request) => verifyBedrockRequest(request, now),
    errorHeaders: (status, error) => ({ ...bedrockProtocol.errorHeaders!(status, error), date: new Date(now()).toUTCString() }),
  });
}
