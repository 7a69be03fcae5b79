import { isAbsolute } from 'node:path';
import { LipError } from '../../errors/index.js';
import type { BackendRow } from '../backend.js';

/**
 * The acp row keys. `stdio` spawns `command` with `args` (a `{model}` in an argument or an
 * `env` value is replaced by the target model) and speaks NDJSON over its stdin/stdout;
 * `http` posts every message to `{base_url}/v1/acp` and reads NDJSON answers.
 */
export const acpProperties: Record<string, Record<string, unknown>> = {
  transport: { enum: ['stdio', 'http'], default: 'stdio' },
  command: { type: 'string', minLength: 1 },
  args: { type: 'array', maxItems: 256, items: { type: 'string' }, default: [] },
  env: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
  cwd: { type: 'string', minLength: 1, pattern: '^/', lipHint: 'must be an absolute directory' },
  base_url: { type: 'string', lipUrl: ['http', 'https'] },
  auto_accept: { type: 'boolean', default: false },
  auth_method: { type: 'string', minLength: 1 },
  thoughts: { type: 'boolean', default: true },
  max_processes: { type: 'integer', minimum: 1, maximum: 256, default: 4 },
  idle_timeout: { lipDuration: true, default: '10m' },
  cancel_grace: { lipDuration: true, default: '2s' },
};

export interface AcpOptions {
  readonly transport: 'stdio' | 'http';
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The agent's workspace (`session/new` cwd, the process's working directory). */
  readonly cwd: string;
  readonly baseUrl?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly autoAccept: boolean;
  readonly authMethod?: string;
  readonly thoughts: boolean;
  readonly maxProcesses: number;
  readonly idleTimeoutMs: number;
  readonly cancelGraceMs: number;
}

/** Reads a validated row (durations already in milliseconds). */
export function acpOptions(row: BackendRow): AcpOptions {
  const cwd = typeof row.cwd === 'string' && isAbsolute(row.cwd) ? row.cwd : process.cwd();
  return {
    transport: row.transport === 'http' ? 'http' : 'stdio',
    ...(typeof row.command === 'string' ? { command: row.command } : {}),
    args: (row.args as string[] | undefined) ?? [],
    env: (row.env as Record<string, string> | undefined) ?? {},
    cwd,
    ...(typeof row.base_url === 'string' ? { baseUrl: row.base_url.replace(/\/+$/, '') } : {}),
    headers: (row.headers as Record<string, string> | undefined) ?? {},
    autoAccept: row.auto_accept === true,
    ...(typeof row.auth_method === 'string' ? { authMethod: row.auth_method } : {}),
    thoughts: row.thoughts !== false,
    maxProcesses: (row.max_processes as number | undefined) ?? 4,
    idleTimeoutMs: (row.idle_timeout as number | undefined) ?? 600_000,
    cancelGraceMs: (row.cancel_grace as number | undefined) ?? 2_000,
  };
}

/**
 * Row rules a schema cannot say: `stdio` needs `command` and takes no API key (credentials go to
 * the agent through `env`) and no `base_url` (it would be ignored); `http` needs `base_url` and
 * takes no `command`, `args` or `env` (no process is run).
 */
export function checkAcpRow(row: Readonly<Record<string, unknown>>): { key: string; message: string } | undefined {
  if (row.transport === 'http') {
    if (row.base_url === undefined) return { key: 'base_url', message: 'an acp agent over http needs base_url (the agent server; lip posts to {base_url}/v1/acp)' };
    // `args` and `env` default to empty: only a non-empty one was written.
    const unused = row.command !== undefined ? 'command' : ((row.args as unknown[] | undefined) ?? []).length > 0 ? 'args' : Object.keys((row.env as object | undefined) ?? {}).length > 0 ? 'env' : undefined;
    return unused ? { key: unused, message: 'an acp agent over http runs no command (lip posts to {base_url}/v1/acp): remove command, args and env, or set transport: stdio' } : undefined;
  }
  if (row.base_url !== undefined) return { key: 'base_url', message: 'an acp agent over stdio takes no base_url (lip runs command): set transport: http to reach an agent server' };
  if (row.command === undefined) return { key: 'command', message: 'an acp agent over stdio needs command (the agent executable)' };
  for (const key of ['api_key', 'api_keys', 'api_key_env']) {
    if (row[key] !== undefined) return { key, message: `an acp agent over stdio takes no ${key}; pass credentials to it through env` };
  }
  return undefined;
}

/** Replaces `{model}` in a command argument or environment value. */
export function withModel(text: string, model: string): string {
  return text.split('{model}').join(model);
}

/** What a model may not hold: white space or a control character, of any script. */
const NOT_IN_MODEL = /[\s\p{Cc}]/u;

/**
 * Checks the model a call names before an agent is started for it: the model goes into the
 * agent's arguments and environment values (withModel), so one that starts with "-" (an option
 * of the client's choosing: `--yolo`) or holds white space or a control character is a
 * 400 LIP_ERR_REQUEST_INVALID; and a row that lists its `models` serves only those, another
 * being a 404 LIP_ERR_ROUTE_UNKNOWN_MODEL (as an HTTP upstream answers a model it does not have).
 *
 * ```ts
 * checkAgentModel('--yolo', [], 'agent')
 * // throws: model "--yolo" cannot be given to acp backend "agent": it starts with "-", and would be an option of the agent
 * ```
 * @see spec/e2e/regression-acp-model-arguments.spec.ts
 */
export function checkAgentModel(model: string, listed: readonly string[], backend: string): void {
  const shown = JSON.stringify(model.length > 200 ? `${model.slice(0, 200)}…` : model);
  const problem = model.startsWith('-') ? 'it starts with "-", and would be an option of the agent'
    : NOT_IN_MODEL.test(model) ? 'a model holds no white space or control characters' : undefined;
  if (problem !== undefined) throw new LipError('LIP_ERR_REQUEST_INVALID', `model ${shown} cannot be given to acp backend "${backend}": ${problem}`, { detail: { backend } });
  if (listed.length > 0 && !listed.includes(model)) {
    throw new LipError('LIP_ERR_ROUTE_UNKNOWN_MODEL', `acp backend "${backend}" serves only the models its row lists (${listed.join(', ')}), not ${shown}`, { detail: { backend } });
  }
}
