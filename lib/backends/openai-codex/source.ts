import { defer } from 'rxjs/internal/observable/defer';
import { throwError } from 'rxjs/internal/observable/throwError';
import { finalize } from 'rxjs/internal/operators/finalize';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { Observable } from 'rxjs';
import type { Call, LipEvent } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import type { Backend, BackendDeps, BackendRow, KindDefaults, Target } from '../backend.js';
import { HttpBackend, type HttpProtocol } from '../http/index.js';
import { ResponsesStreamDecoder } from '../openai-responses/index.js';
import { classifyCodexStatus } from './classify-error.js';
import { resolveCodexCredentials, type CodexCredentials } from './credentials.js';
import { codexModel, conversationId, encodeCodexRequest, takesVerbosity, unsupportedParams, unsupportedParamsError, type CodexTurn } from './encode-request.js';
import { codexHeaders } from './headers.js';
import { codexOptions, type CodexOptions } from './options.js';
import { CodexTokens } from './token-refresh.js';
import { bumpsVerbosity, TurnCounter } from './turn-counter.js';
import { RESPONSES_REASONING } from '../reasoning-replay.js';

export const OPENAI_CODEX_DEFAULTS: KindDefaults = { models: ['gpt-5.4'] };

/** A Target with the turn the backend reserved for this attempt (read by `generate`). */
interface CodexTarget extends Target {
  readonly codexTurn?: CodexTurn;
}

/**
 * The Codex endpoint over HTTP: `POST {base_url}/responses`, always streamed (the endpoint
 * answers nothing else; a non-streaming client gets the stream collected), the Responses
 * stream decoder and error classification, the Codex headers, and one token refresh per
 * attempt after a 401/403.
 */
/** The token of a `Bearer` authorization header (undefined when there is none). */
function bearerOf(header: unknown): string | undefined {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

export function codexProtocol(row: BackendRow, o: CodexOptions, credentials: CodexCredentials, tokens: CodexTokens, now: () => number = Date.now): HttpProtocol {
  const masked = (secrets: readonly string[]) => [...secrets, ...tokens.secrets];
  return {
    requiresKey: true,
    keys: credentials.tokens,
    keyHint: credentials.source,
    defaultModels: OPENAI_CODEX_DEFAULTS.models,
    // call_id: at most 64 characters.
    callIds: { chars: 'any', max: 64 },
    customTools: true,
    toolNamespaces: true,
    reasoning: RESPONSES_REASONING,
    generate: (call, target, key) => {
      const turn = (target as CodexTarget).codexTurn ?? { conversationId: conversationId(call, codexModel(target.model)), turn: 0, bump: false };
      return {
        method: 'POST',
        url: o.responsesUrl,
        headers: codexHeaders(o, tokens.current(key ?? ''), turn.conversationId, credentials.accountId),
        body: JSON.stringify(encodeCodexRequest(call, target.model, o, turn)),
      };
    },
    // No count call: a count of a call this would refuse is that refusal (CodexBackend.refusal).
    encode: (call, model) => encodeCodexRequest(call, model, o, { conversationId: conversationId(call, codexModel(model)), turn: 0, bump: false }),
    decoder: (_call, _target, secrets) => new ResponsesStreamDecoder(row.id, masked(secrets)),
    statusError: (status, text, headers, wait, secrets) => classifyCodexStatus(row.id, status, text, headers, wait, masked(secrets), now()),
    renew: (key, status, client, _signal, sent) => tokens.renew(row.id, key, status, client, bearerOf(sent.headers.authorization)),
    refusedAfterRenewal: (key, status) => tokens.refusedAgain(row.id, key, status),
  };
}

/**
 * An openai-codex backend: the ChatGPT Codex Responses endpoint with the Codex CLI's login.
 * Before the upstream is asked it fails at once while a failed token refresh is remembered
 * (CodexTokens.refused), refuses generation parameters the endpoint does not take
 * (400, unless `ignore_unsupported_gen_params`), and reserves the conversation's turn for the
 * verbosity bump (not for a `*-codex` model, which gets none): committed when the upstream accepts the request (2xx), released when the
 * attempt ends without that (a failure, a cancel).
 *
 * @see spec/backends/openai-codex/source.spec.ts
 */
export class CodexBackend implements Backend {
  readonly id: string;
  readonly kind: string;
  readonly models: readonly string[];
  readonly reasoning = RESPONSES_REASONING;
  private readonly http: HttpBackend;
  private readonly options: CodexOptions;
  private readonly credentials: CodexCredentials;
  private readonly tokens: CodexTokens;
  /** Per-conversation turns of this backend (the verbosity bumps). */
  readonly turns: TurnCounter;

  constructor(row: BackendRow, deps: BackendDeps) {
    this.id = row.id;
    this.kind = row.kind;
    this.options = codexOptions(row);
    this.credentials = resolveCodexCredentials(row, deps);
    const scheduler = deps.scheduler ?? asyncScheduler;
    this.tokens = new CodexTokens(this.credentials.refresh, {
      tokenUrl: this.options.tokenUrl, clientId: this.options.clientId, now: () => scheduler.now(), ...(deps.renewals ? { renewals: deps.renewals } : {}),
    });
    this.http = new HttpBackend(row, deps, row.kind, codexProtocol(row, this.options, this.credentials, this.tokens, () => scheduler.now()));
    this.models = this.http.models;
    this.turns = new TurnCounter(() => scheduler.now());
  }

  /** What a generation refuses before sending: the parameters the endpoint does not take, then the encoder's refusals. */
  refusal(call: Call, model: string): LipError | undefined {
    return this.paramsRefusal(call) ?? this.http.refusal?.(call, model);
  }

  /** The refusal of generation parameters the endpoint does not take (none under `ignore_unsupported_gen_params`). */
  private paramsRefusal(call: Call): LipError | undefined {
    const refused = this.options.ignoreUnsupportedGenParams ? [] : unsupportedParams(call);
    return refused.length > 0 ? unsupportedParamsError(this.id, refused) : undefined;
  }

  stream(call: Call, target: Target): Observable<LipEvent> {
    return defer(() => {
      const { problem } = this.credentials;
      if (problem !== undefined) {
        return throwError(() => new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', `backend "${this.id}" has no usable access token: ${problem}`, {
          status: 503, detail: { backend: this.id, reason: 'auth_file' },
        }));
      }
      // The token was refused and its refresh failed a moment ago: nothing to send it for.
      const dead = this.tokens.refused(this.id);
      if (dead !== undefined) return throwError(() => dead);
      const refused = this.paramsRefusal(call);
      if (refused !== undefined) return throwError(() => refused);
      const o = this.options;
      const conversation = conversationId(call, codexModel(target.model));
      // A -codex model is never bumped (the endpoint refuses its verbosity): its turns are not counted.
      const counted = (o.earlyBumpTurns > 0 || o.midBumpFrequency > 0) && takesVerbosity(target.model);
      const turn = counted ? this.turns.reserve(conversation) : 0;
      const bump = call.options.verbosity === undefined && bumpsVerbosity(turn, o.earlyBumpTurns, o.midBumpFrequency);
      let accepted = !counted;
      const attempt: CodexTarget = {
        ...target,
        codexTurn: { conversationId: conversation, turn, bump },
        onUpstreamResponse: (status, headers) => {
          if (!accepted && status >= 200 && status < 300) {
            accepted = true;
            this.turns.commit(conversation, turn);
          }
          target.onUpstreamResponse?.(status, headers);
        },
      };
      return this.http.stream(call, attempt).pipe(finalize(() => {
        if (!accepted) this.turns.release(conversation, turn);
      }));
    });
  }

  close(): Promise<void> {
    this.tokens.close();
    return this.http.close();
  }
}
