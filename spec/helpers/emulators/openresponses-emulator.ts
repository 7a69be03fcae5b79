import { startEmulator, type Emulator, type EmulatorProtocol, type RecordedRequest } from './emulator-server.js';
import { openaiResponsesProtocol } from './openai-responses-emulator.js';

type Json = Record<string, unknown>;
interface Schema {
  readonly shape: Record<string, unknown>;
  safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: { path: (string | number)[]; message: string }[] } };
}

const SCHEMAS = new URL('../../../testdata/openresponses-compliance/src/generated/kubb/zod/', import.meta.url);
let createBody: Promise<Schema> | undefined;

/** Values the specification leaves free (a JSON Schema, the client's metadata): any keys. */
const FREE_FORM = [/^tools\[\d+\]\.parameters$/, /^text\.format\.schema$/, /^metadata$/];

/**
 * The keys of `sent` (at any depth) that the schema's parse left out of `kept`: fields the
 * specification does not define (zod drops them silently; a strict server refuses them).
 */
function unknownKeys(sent: unknown, kept: unknown, path: string, out: string[]): void {
  if (Array.isArray(sent) && Array.isArray(kept)) {
    sent.forEach((item, i) => unknownKeys(item, kept[i], `${path}[${i}]`, out));
    return;
  }
  if (sent === null || typeof sent !== 'object' || kept === null || typeof kept !== 'object') return;
  for (const [key, value] of Object.entries(sent as Json)) {
    const at = path ? `${path}.${key}` : key;
    if (FREE_FORM.some((free) => free.test(at))) continue;
    if (!(key in (kept as Json))) out.push(at);
    else unknownKeys(value, (kept as Json)[key], at, out);
  }
}

/**
 * What an Open Responses server of profile 2026-04-24 that holds to its specification finds
 * wrong with a create body: it parses it with the specification's own schema (the vendored
 * compliance suite's, testdata/openresponses-compliance) and refuses a body that does not
 * parse or carries a field the specification does not define. Undefined: nothing.
 */
export async function openResponsesProblem(body: unknown): Promise<string | undefined> {
  createBody ??= import(new URL('createResponseBodySchema.ts', SCHEMAS).href).then((m: { createResponseBodySchema: Schema }) => m.createResponseBodySchema);
  const schema = await createBody;
  const result = schema.safeParse(body);
  if (!result.success) return `the body is not an Open Responses create request: ${result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  const unknown: string[] = [];
  unknownKeys(body, result.data, '', unknown);
  return unknown.length > 0 ? `unknown parameters: ${unknown.join(', ')}` : undefined;
}

/** openResponsesProblem as the server's answer: a 400 in the Responses error envelope. */
export async function verifyOpenResponsesRequest(request: RecordedRequest): Promise<{ status: number; error: { message: string; type: string } } | undefined> {
  if (request.route !== 'generate') return undefined;
  const problem = await openResponsesProblem(request.body);
  return problem === undefined ? undefined : { status: 400, error: { message: problem, type: 'invalid_request_error' } };
}

/**
 * An Open Responses server: OpenAI Responses' wire (the events and objects the specification
 * shares) with the specification's request checks (verifyOpenResponsesRequest).
 */
export const openResponsesProtocol: EmulatorProtocol = { ...openaiResponsesProtocol, verify: verifyOpenResponsesRequest };

/** An Open Responses upstream on a free port; `url` ends in `/v1`. */
export function startOpenResponsesEmulator(): Promise<Emulator> {
  return startEmulator(openResponsesProtocol);
}
