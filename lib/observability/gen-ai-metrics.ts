import type * as PromClient from 'prom-client';
import type { Usage } from '../canonical/index.js';
import { GEN_AI_METRICS } from './gen-ai.js';

/** Powers of 4 from 1 to 4^13 (the GenAI conventions' advice for token counts). */
const TOKEN_BUCKETS = Array.from({ length: 14 }, (_, i) => 4 ** i);
/** 0.01 s doubling to 81.92 s (the GenAI conventions' advice for durations). */
const DURATION_BUCKETS = Array.from({ length: 14 }, (_, i) => 0.01 * 2 ** i);
/** Per output token: 1 ms to 2.5 s. */
const PER_TOKEN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5];

/** One attempt, as the GenAI client metrics see it. */
export interface GenAiAttempt {
  readonly provider: string;
  readonly model: string;
  readonly responseModel: string;
  readonly seconds: number;
  readonly errorType: string | undefined;
  readonly usage: Usage | undefined;
  readonly backend: string;
  readonly cost: number | undefined;
  /** Hosted web searches the upstream ran in the attempt. */
  readonly webSearches?: number;
}

/** One generation request, as the client saw it (the GenAI server metrics). */
export interface GenAiRequest {
  readonly provider: string;
  readonly model: string;
  readonly seconds: number;
  readonly errorType: string | undefined;
  /** Streaming requests only: from arrival to the first output event; undefined without one. */
  readonly ttftSeconds: number | undefined;
  readonly outputTokens: number | undefined;
}

/**
 * The GenAI semantic-convention metrics in Prometheus form (`gen_ai.client.token.usage` ->
 * `lip_gen_ai_client_token_usage`, durations suffixed `_seconds`), plus `lip_cost_total`. A proxy
 * is a client of its upstreams (per attempt: token usage, operation duration) and a server to
 * its clients (per request: duration, time to first token, time per output token), and
 * `lip_web_searches_total` (hosted searches, which providers bill per search). `model`
 * and `response_model` are bounded by the configured models (others read `other`).
 */
export class GenAiMetrics {
  private readonly tokens: PromClient.Histogram<'token_type' | 'provider' | 'model' | 'response_model'>;
  private readonly operation: PromClient.Histogram<'provider' | 'model' | 'error_type'>;
  private readonly request: PromClient.Histogram<'provider' | 'model' | 'error_type'>;
  private readonly ttft: PromClient.Histogram<'provider' | 'model'>;
  private readonly perToken: PromClient.Histogram<'provider' | 'model'>;
  private readonly cost: PromClient.Counter<'backend' | 'model'>;
  private readonly webSearches: PromClient.Counter<'backend' | 'model'>;

  constructor(client: typeof PromClient, registers: PromClient.Registry[]) {
    this.tokens = new client.Histogram({
      name: GEN_AI_METRICS.tokenUsage.prometheus, help: 'Tokens per attempt by type (input, output, cache_read, cache_write, reasoning), as the upstream reported them.',
      labelNames: ['token_type', 'provider', 'model', 'response_model'], buckets: TOKEN_BUCKETS, registers,
    });
    this.operation = new client.Histogram({
      name: GEN_AI_METRICS.operationDuration.prometheus, help: 'Duration of each upstream attempt, from its start to its end.',
      labelNames: ['provider', 'model', 'error_type'], buckets: DURATION_BUCKETS, registers,
    });
    this.request = new client.Histogram({
      name: GEN_AI_METRICS.requestDuration.prometheus, help: 'Duration of each generation request, from its arrival to the end of its response.',
      labelNames: ['provider', 'model', 'error_type'], buckets: DURATION_BUCKETS, registers,
    });
    this.ttft = new client.Histogram({
      name: GEN_AI_METRICS.timeToFirstToken.prometheus, help: 'Streaming requests: from arrival to the first output event sent to the client (failovers and races included).',
      labelNames: ['provider', 'model'], buckets: DURATION_BUCKETS, registers,
    });
    this.perToken = new client.Histogram({
      name: GEN_AI_METRICS.timePerOutputToken.prometheus, help: 'Streaming requests: time after the first output event per further output token.',
      labelNames: ['provider', 'model'], buckets: PER_TOKEN_BUCKETS, registers,
    });
    this.cost = new client.Counter({
      name: 'lip_cost_total', help: 'Cost of attempts by the pricing table (its currency), by backend and model.', labelNames: ['backend', 'model'], registers,
    });
    this.webSearches = new client.Counter({
      name: 'lip_web_searches_total', help: 'Hosted web searches upstreams ran (billed apart from tokens), by backend and model.', labelNames: ['backend', 'model'], registers,
    });
  }

  attempt(a: GenAiAttempt): void {
    this.operation.observe(a.errorType === undefined ? { provider: a.provider, model: a.model } : { provider: a.provider, model: a.model, error_type: a.errorType }, a.seconds);
    const u = a.usage;
    if (u) {
      const labels = { provider: a.provider, model: a.model, response_model: a.responseModel };
      const observe = (type: string, n: number | undefined) => { if (n !== undefined) this.tokens.observe({ token_type: type, ...labels }, n); };
      observe('input', u.inputTokens);
      observe('output', u.outputTokens);
      observe('cache_read', u.cacheReadTokens);
      observe('cache_write', u.cacheWriteTokens);
      observe('reasoning', u.reasoningTokens);
    }
    if (a.cost !== undefined) this.cost.inc({ backend: a.backend, model: a.model }, a.cost);
    if (a.webSearches !== undefined && a.webSearches > 0) this.webSearches.inc({ backend: a.backend, model: a.model }, a.webSearches);
  }

  served(r: GenAiRequest): void {
    this.request.observe(r.errorType === undefined ? { provider: r.provider, model: r.model } : { provider: r.provider, model: r.model, error_type: r.errorType }, r.seconds);
    if (r.ttftSeconds === undefined) return;
    this.ttft.observe({ provider: r.provider, model: r.model }, r.ttftSeconds);
    if (r.outputTokens !== undefined && r.outputTokens > 1) {
      this.perToken.observe({ provider: r.provider, model: r.model }, Math.max(0, r.seconds - r.ttftSeconds) / (r.outputTokens - 1));
    }
  }
}
