import type { FinishReason } from '../../canonical/index.js';
import type { BackendRow } from '../backend.js';

/**
 * The localstub row keys (CONTRACT section 6). localstub is the test and benchmark
 * instrument: no key, no network, every timing and failure on demand.
 */
export const localstubProperties: Record<string, Record<string, unknown>> = {
  text: { type: 'string', default: 'Hello from localstub.' },
  chunks: { type: 'integer', minimum: 1, maximum: 100_000, default: 1 },
  chunk_delay: { lipDuration: true, default: '0ms' },
  first_token_delay: { lipDuration: true, default: '0ms' },
  tool_name: { type: 'string', minLength: 1 },
  tool_args: { type: 'string', maxLength: 65_536 },
  tool_calls: {
    type: 'array', maxItems: 64,
    items: {
      type: 'object', additionalProperties: false, required: ['name'],
      properties: { name: { type: 'string', minLength: 1 }, args: { type: 'string', maxLength: 65_536 } },
    },
  },
  reasoning: { type: 'string' },
  reasoning_signature: { type: 'string' },
  input_tokens: { type: 'integer', minimum: 0, default: 0 },
  output_tokens: { type: 'integer', minimum: 0, default: 0 },
  cache_read_tokens: { type: 'integer', minimum: 0 },
  finish_reason: { enum: ['stop', 'length', 'tool_calls', 'content_filter', 'stop_sequence', 'other'] },
  fail: {
    type: 'string',
    pattern: '^(before_output(:[1-5][0-9][0-9])?|after_output|stall)$',
    lipHint: 'must be before_output:STATUS (e.g. before_output:503), after_output or stall',
  },
  echo: { type: 'boolean', default: false },
};

export type LocalstubFailure =
  | { readonly mode: 'before_output'; readonly status: number }
  | { readonly mode: 'after_output' }
  | { readonly mode: 'stall' };

export interface LocalstubOptions {
  readonly text: string;
  readonly chunks: number;
  readonly chunkDelayMs: number;
  readonly firstTokenDelayMs: number;
  readonly toolCalls: readonly { readonly name: string; readonly args: string }[];
  readonly reasoning?: string;
  readonly reasoningSignature?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly finishReason?: FinishReason;
  readonly fail?: LocalstubFailure;
  readonly echo: boolean;
}

/** Row rules a schema cannot say: `reasoning_signature` signs `reasoning`, `tool_args` are `tool_name`'s; neither goes alone. */
export function checkLocalstubRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  if (row.reasoning_signature !== undefined && row.reasoning === undefined) return { key: 'reasoning_signature', message: 'signs the reasoning, and there is none: set reasoning too, or remove it' };
  if (row.tool_args !== undefined && row.tool_name === undefined) return { key: 'tool_args', message: 'are the arguments of the tool_name call, and there is none: set tool_name too (tool_calls take their own args), or remove it' };
  return undefined;
}

/** Reads a validated row (durations already in milliseconds). */
export function localstubOptions(row: BackendRow): LocalstubOptions {
  const toolCalls = [
    ...(typeof row.tool_name === 'string' ? [{ name: row.tool_name, args: (row.tool_args as string | undefined) ?? '{}' }] : []),
    ...((row.tool_calls as { name: string; args?: string }[] | undefined) ?? []).map((c) => ({ name: c.name, args: c.args ?? '{}' })),
  ];
  return {
    text: (row.text as string | undefined) ?? 'Hello from localstub.',
    chunks: (row.chunks as number | undefined) ?? 1,
    chunkDelayMs: (row.chunk_delay as number | undefined) ?? 0,
    firstTokenDelayMs: (row.first_token_delay as number | undefined) ?? 0,
    toolCalls,
    ...(typeof row.reasoning === 'string' ? { reasoning: row.reasoning } : {}),
    ...(typeof row.reasoning_signature === 'string' ? { reasoningSignature: row.reasoning_signature } : {}),
    inputTokens: (row.input_tokens as number | undefined) ?? 0,
    outputTokens: (row.output_tokens as number | undefined) ?? 0,
    ...(typeof row.cache_read_tokens === 'number' ? { cacheReadTokens: row.cache_read_tokens } : {}),
    ...(typeof row.finish_reason === 'string' ? { finishReason: row.finish_reason as FinishReason } : {}),
    ...(typeof row.fail === 'string' ? { fail: parseFailure(row.fail) } : {}),
    echo: row.echo === true,
  };
}

function parseFailure(text: string): LocalstubFailure {
  if (text === 'after_output') return { mode: 'after_output' };
  if (text === 'stall') return { mode: 'stall' };
  const status = Number(text.split(':')[1] ?? 503);
  return { mode: 'before_output', status };
}
