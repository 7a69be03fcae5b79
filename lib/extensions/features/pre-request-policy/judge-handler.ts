import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { emptyCall, type Call } from '../../../canonical/index.js';
import { auxiliaryCancelled } from '../../auxiliary-client.js';
import type { ExtensionLogger, HookContext, RequestAnswer, RequestHook } from '../../sdk.js';
import { isSafePattern } from '../tool-call-repair/safe-pattern.js';

/** One `handlers[]` row. `timeout` is milliseconds (the config loader converts `30s`). */
export interface JudgeHandlerConfig {
  readonly id: string;
  readonly priority: number;
  readonly prompt_filename: string;
  readonly model_routing_string: string;
  readonly policy: 'deny_on_pattern' | 'allow_on_pattern';
  readonly deny_pattern?: string;
  readonly allow_pattern?: string;
  readonly deny_message: string;
  readonly timeout: number;
}

/** A plain file name: no directory part, not `.` or `..`. */
export const PLAIN_FILE_NAME = '^(?!\\.\\.?$)[A-Za-z0-9._-]{1,128}$';

/**
 * One judge as a `pre_request_admission` hook (fail-closed). Built once: the prompt file is read
 * and the pattern compiled when the feature is built (the config check has refused a missing file
 * or an unsafe pattern already, when the config loaded). Per request it sends the canonical call as JSON (the user message) with
 * the prompt as system text to the judge route through the auxiliary client, and tests the
 * judge's text: `deny_on_pattern` denies on a match, `allow_on_pattern` denies without one. A
 * deny, a judge error and a timeout all answer 403 with `deny_message`; the judge's text never
 * reaches the client or the logs.
 */
export function judgeHandler(handler: JudgeHandlerConfig, promptDir: string, logger: ExtensionLogger): RequestHook {
  const compiled = handlerPattern(handler);
  if ('message' in compiled) throw new Error(`handler "${handler.id}": ${compiled.message}`);
  const { pattern } = compiled;
  const read = readPrompt(promptDir, handler.prompt_filename);
  if ('message' in read) throw new Error(`handler "${handler.id}": ${read.message}`);
  const { prompt } = read;
  const deny = { reject: handler.deny_message, status: 403 } as const;
  return {
    id: handler.id,
    order: handler.priority,
    failureMode: 'fail_closed',
    async run(call: Call, ctx: HookContext): Promise<RequestAnswer> {
      const judged = emptyCall({
        model: handler.model_routing_string,
        stream: false,
        system: [{ type: 'text', text: prompt }],
        messages: [{ role: 'user', parts: [{ type: 'text', text: JSON.stringify(call) }] }],
      });
      let text: string;
      try {
        const result = await ctx.auxiliary.collect({ role: 'pre_request', call: judged, timeoutMs: handler.timeout });
        text = result.response.blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
      } catch (err) {
        if (auxiliaryCancelled(err)) return deny; // the client went away: nobody reads the answer
        logger.warn('pre-request-policy: judge failed; request denied (fail-closed)', { request_id: ctx.requestId, handler: handler.id, error: (err as { code?: string })?.code ?? 'error' });
        return deny;
      }
      const matched = pattern.test(text);
      const denied = handler.policy === 'deny_on_pattern' ? matched : !matched;
      if (denied) logger.info('pre-request-policy: request denied', { request_id: ctx.requestId, handler: handler.id });
      return denied ? deny : call;
    },
  };
}

/**
 * The handler's pattern (the one its policy tests), or why it has none: the policy's key is
 * missing, the pattern does not compile (tried first, so that a syntax error is named as such),
 * or its shape could backtrack catastrophically. `key`: the handler key the problem is at.
 */
export function handlerPattern(handler: Pick<JudgeHandlerConfig, 'policy' | 'deny_pattern' | 'allow_pattern'>): { pattern: RegExp } | { key?: string; message: string } {
  const key = handler.policy === 'allow_on_pattern' ? 'allow_pattern' : 'deny_pattern';
  const source = handler[key];
  if (source === undefined || source === '') return { message: `policy ${handler.policy} needs ${key}` };
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (err) {
    return { key, message: (err as Error).message };
  }
  if (!isSafePattern(source)) return { key, message: 'the pattern could backtrack catastrophically (nested quantifiers, backreferences or lookarounds)' };
  return { pattern };
}

/**
 * The text of `prompt_filename` inside `promptDir` (relative to lip's working directory), or why
 * there is none: the name is not a plain file name, or the file cannot be read
 * (`cannot read prompt file /abs/path: ENOENT`).
 */
export function readPrompt(promptDir: string, promptFilename: string): { prompt: string } | { message: string } {
  if (!new RegExp(PLAIN_FILE_NAME).test(promptFilename)) return { message: 'prompt_filename must be a plain file name' };
  const path = join(resolve(promptDir), promptFilename);
  try {
    return { prompt: readFileSync(path, 'utf8') };
  } catch (err) {
    return { message: `cannot read prompt file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}
