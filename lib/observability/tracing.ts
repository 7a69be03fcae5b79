import { createRequire } from 'node:module';
import type { IncomingHttpHeaders } from 'node:http';
import type * as Api from '@opentelemetry/api';
import type * as Core from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as Semconv from '@opentelemetry/semantic-conventions/incubating';
import type * as SdkNode from '@opentelemetry/sdk-trace-node';
import type { Usage } from '../canonical/index.js';
import { LipError } from '../errors/index.js';
import { scrubCredentials } from '../wire/index.js';
import { prefixCopy } from './logger.js';

/** `observability.tracing`. */
export interface TracingSettings {
  readonly enabled: boolean;
  readonly service_name: string;
  readonly exporter: 'otlp' | 'console';
  readonly sample_ratio: number;
}

/** What an attempt span needs to know when the attempt starts. */
export interface AttemptSpanInfo {
  readonly candidateKey: string;
  readonly backendId: string;
  readonly model: string;
  readonly provider: string;
  readonly operation: string;
  readonly stream: boolean;
  readonly aLegId?: string;
  readonly inRace: boolean;
}

/** What the attempt's end tells its span (a structural view of AttemptStats). */
export interface AttemptResult {
  readonly usage: Usage;
  readonly responseModel: string | undefined;
  readonly finishReason: string | undefined;
  readonly upstreamStatus: number | undefined;
  readonly upstreamRequestId: string | undefined;
  readonly cost: number | undefined;
}

/** One attempt's CLIENT span: `{gen_ai.operation.name} {gen_ai.request.model}`. */
export interface AttemptSpan {
  /** W3C `traceparent` (+ `tracestate`, `baggage`) naming this span, for the upstream request. */
  readonly headers: Readonly<Record<string, string>>;
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
  setBLegSeq(seq: number): void;
  firstOutput(ttftMs: number): void;
  end(outcome: 'success' | 'failure' | 'cancelled', result: AttemptResult | undefined, error: LipError | undefined, cancelReason: string | undefined): void;
}

/** One request's SERVER span and the attempts under it. */
export interface RequestTrace {
  /** The trace id (hex), for log lines. */
  readonly traceId: string;
  /** False when the sampler dropped this trace: spans are not recorded, ids still propagate. */
  readonly recording: boolean;
  /**
   * W3C `traceparent` (+ `tracestate`, `baggage`) naming the request span, for the upstream
   * request of an unrecorded trace (which makes no attempt spans): its flag says unsampled,
   * so the upstream drops it too. Built on first read, once per request.
   */
  readonly propagation: Readonly<Record<string, string>>;
  setName(name: string): void;
  setAttributes(attributes: Record<string, string | number | boolean | undefined>): void;
  /** A routing event on the request span (failover, circuit skip, global TTFT expiry). */
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
  attempt(info: AttemptSpanInfo): AttemptSpan;
  /** A child span around one extension hook run: `lip.extension.<stage>`. */
  stage(stage: string, attributes?: Record<string, string>): { end(error?: unknown): void };
  end(status: number, error?: string): void;
}

/** Tracing as the server uses it; created only when `observability.tracing.enabled`. */
export interface Tracing {
  startRequest(method: string, headers: IncomingHttpHeaders): RequestTrace;
  /** Exports the finished spans now (the batch processor otherwise waits up to 5 s). */
  flush(): Promise<void>;
  /** Sends what is pending and stops the exporter. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Where `OTEL_EXPORTER_OTLP_*` are read (the process environment by default). */
  readonly env?: NodeJS.ProcessEnv;
  /** An exporter to use instead of the configured one (tests pass an InMemorySpanExporter). */
  readonly exporter?: SdkNode.SpanExporter;
  /** Export each span as it ends rather than in batches (tests). */
  readonly simple?: boolean;
}

interface Modules {
  api: typeof Api;
  core: typeof Core;
  sdk: typeof SdkNode;
  resources: typeof Resources;
  semconv: typeof Semconv;
  /** A text attribute (or span name) cut to the attribute value limit, as a copy of its own. */
  cut: (text: string) => string;
}

/**
 * OpenTelemetry tracing, loaded only when enabled (`createTracing` is the only place the
 * packages are required). The provider is never registered globally: lip passes parent
 * contexts explicitly, so no context manager runs on the hot path and no other library (an SDK
 * that instruments itself when a global tracer exists) starts tracing behind lip's back.
 */
export function createTracing(settings: TracingSettings, options: TracingOptions = {}, log?: ExportLog): Tracing | undefined {
  if (!settings.enabled) return undefined;
  const require = createRequire(import.meta.url);
  const env = options.env ?? process.env;
  const attributeValueLengthLimit = positive(env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT) ?? positive(env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT) ?? ATTRIBUTE_VALUE_LIMIT;
  const m: Modules = {
    cut: (text) => prefixCopy(text, attributeValueLengthLimit),
    api: require('@opentelemetry/api') as typeof Api,
    core: require('@opentelemetry/core') as typeof Core,
    sdk: require('@opentelemetry/sdk-trace-node') as typeof SdkNode,
    resources: require('@opentelemetry/resources') as typeof Resources,
    semconv: require('@opentelemetry/semantic-conventions/incubating') as typeof Semconv,
  };
  const configured = options.exporter ?? (settings.exporter === 'console' ? new m.sdk.ConsoleSpanExporter() : otlpExporter(require, env));
  const batched = !options.simple && settings.exporter !== 'console';
  const report = log ? new ExportReport(log) : undefined;
  const exporter = report ? reportingExporter(configured, report) : configured;
  const processor = !batched ? new m.sdk.SimpleSpanProcessor(exporter)
    : report ? report.counting(new m.sdk.BatchSpanProcessor(exporter, { maxQueueSize: MAX_QUEUED_SPANS }), m.api)
    : new m.sdk.BatchSpanProcessor(exporter, { maxQueueSize: MAX_QUEUED_SPANS });
  const provider = new m.sdk.NodeTracerProvider({
    resource: m.resources.resourceFromAttributes({ [m.semconv.ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || settings.service_name }),
    sampler: new m.sdk.ParentBasedSampler({ root: new m.sdk.TraceIdRatioBasedSampler(settings.sample_ratio) }),
    spanLimits: { attributeValueLengthLimit },
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('lip');
  const propagator = new m.core.CompositePropagator({ propagators: [new m.core.W3CTraceContextPropagator(), new m.core.W3CBaggagePropagator()] });
  return {
    startRequest: (method, headers) => new OtelRequestTrace(m, tracer, propagator, method, headers),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Where export outages are told (the server's logger). */
export interface ExportLog {
  warn(message: string, meta: Record<string, unknown>): unknown;
  info(message: string, meta: Record<string, unknown>): unknown;
}

/** Ended spans the batch processor keeps waiting for export; the SDK drops the ones past it (its default). */
const MAX_QUEUED_SPANS = 2048;

/**
 * Tells `log` when spans start being lost (once per outage, with the reason) and when exports
 * succeed again (how many exports failed, how many spans were lost). Spans are lost two ways,
 * both without a word from the SDK: a failed export drops its batch, and while the collector is
 * slow (one export at a time, each waiting up to 30 s) the batch processor's queue fills and
 * every span ended past MAX_QUEUED_SPANS is dropped, which with a slow collector is most of the
 * loss. A collector that is down or slow or misconfigured (a wrong endpoint, a 4xx) would
 * otherwise leave an operator with no traces and no reason.
 */
class ExportReport {
  private failedExports = 0;
  private spansLost = 0;
  private losing = false;
  /** Sampled spans handed to the batch processor and not yet to the exporter, as the processor counts them. */
  private queued = 0;

  constructor(private readonly log: ExportLog) {}

  /** `processor`, counting the spans it queues and the ones it drops (its queue full), as the SDK decides (sampled spans only). */
  counting(processor: SdkNode.SpanProcessor, api: typeof Api): SdkNode.SpanProcessor {
    return {
      onStart: (span, context) => processor.onStart(span, context),
      onEnd: (span) => {
        if ((span.spanContext().traceFlags & api.TraceFlags.SAMPLED) !== 0) {
          if (this.queued >= MAX_QUEUED_SPANS) this.lost(1, 'trace export queue full; spans are dropped until the collector keeps up', {});
          else this.queued++;
        }
        processor.onEnd(span);
      },
      forceFlush: () => processor.forceFlush(),
      shutdown: () => processor.shutdown(),
    };
  }

  /** A batch of `count` spans leaves the queue for the exporter. */
  handed(count: number): void {
    this.queued = Math.max(0, this.queued - count);
  }

  failed(count: number, error: unknown): void {
    this.failedExports++;
    this.lost(count, 'trace export failed; spans are dropped until the collector answers again', { error: scrubCredentials(String((error as Error | undefined)?.message ?? error ?? 'unknown')) });
  }

  succeeded(): void {
    if (!this.losing || this.queued >= MAX_QUEUED_SPANS) return;
    this.log.info('trace export recovered', { failed_exports: this.failedExports, spans_lost: this.spansLost });
    this.losing = false;
    this.failedExports = 0;
    this.spansLost = 0;
  }

  private lost(count: number, message: string, meta: Record<string, unknown>): void {
    if (!this.losing) this.log.warn(message, meta);
    this.losing = true;
    this.spansLost += count;
  }
}

/** `exporter`, telling `report` what became of each batch. */
function reportingExporter(exporter: SdkNode.SpanExporter, report: ExportReport): SdkNode.SpanExporter {
  return {
    export(spans, done) {
      report.handed(spans.length);
      exporter.export(spans, (result) => {
        if (result.code !== 0) report.failed(spans.length, result.error);
        else report.succeeded();
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
  };
}

/**
 * The longest attribute value a span keeps (characters; longer ones are cut), unless
 * `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` or `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` says otherwise.
 * The SDK's own default is no limit, and attributes carry client text (`gen_ai.request.model`
 * is the model as asked, up to 4,096 characters, MAX_SELECTOR_INPUT_CHARS): while a collector
 * is slow or down, every span of the export queue (2,048) would hold its client's text whole.
 * The SDK's own cut (spanLimits) keeps a slice, which V8 makes a view that holds the whole
 * original alive, so lip's own attributes are cut by `cutText` into a copy before the SDK sees them.
 */
const ATTRIBUTE_VALUE_LIMIT = 1024;

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && text.trim() !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The OTLP/HTTP (JSON) exporter, to otlpTracesUrl (the exporter's default when that is undefined). */
function otlpExporter(require: NodeJS.Require, env: NodeJS.ProcessEnv): SdkNode.SpanExporter {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const url = otlpTracesUrl(env);
  return new OTLPTraceExporter(url ? { url } : {});
}

/**
 * Where the OTLP exporter sends spans: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else undefined (the exporter's own default,
 * `http://localhost:4318/v1/traces`). The one of them that is used must be an http(s) URL, or
 * this throws `LIP_ERR_CONFIG_INVALID` naming the variable (`lip check-config` asks too): the
 * exporter would throw a bare error at start for text that is no URL, and take
 * `collector:4318/v1/traces` as a URL of scheme `collector:`, losing every span.
 */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces);
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base).replace(/\/+$/, '')}/v1/traces` : undefined;
}

function httpUrl(variable: string, value: string): string {
  const scheme = URL.canParse(value) ? new URL(value).protocol : undefined;
  if (scheme !== 'http:' && scheme !== 'https:') throw new LipError('LIP_ERR_CONFIG_INVALID', `${variable}: ${JSON.stringify(value)} is not an http(s) URL`);
  return value;
}

class OtelRequestTrace implements RequestTrace {
  readonly traceId: string;
  readonly recording: boolean;
  private readonly span: Api.Span;
  /** The request span as parent (with the client's baggage). */
  private readonly context: Api.Context;
  private propagated: Record<string, string> | undefined;

  constructor(private readonly m: Modules, private readonly tracer: Api.Tracer, private readonly propagator: Api.TextMapPropagator, method: string, headers: IncomingHttpHeaders) {
    const { api, semconv } = m;
    const parent = propagator.extract(api.ROOT_CONTEXT, headers, api.defaultTextMapGetter);
    this.span = tracer.startSpan(method, {
      kind: api.SpanKind.SERVER,
      attributes: { [semconv.ATTR_HTTP_REQUEST_METHOD]: method },
    }, parent);
    this.context = api.trace.setSpan(parent, this.span);
    this.traceId = this.span.spanContext().traceId;
    this.recording = this.span.isRecording();
  }

  get propagation(): Readonly<Record<string, string>> {
    if (this.propagated === undefined) {
      this.propagated = {};
      this.propagator.inject(this.context, this.propagated, this.m.api.defaultTextMapSetter);
    }
    return this.propagated;
  }

  setName(name: string): void {
    this.span.updateName(name);
  }

  setAttributes(attributes: Record<string, string | number | boolean | undefined>): void {
    if (!this.recording) return;
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) this.span.setAttribute(key, typeof value === 'string' ? this.m.cut(value) : value);
  }

  event(name: string, attributes?: Record<string, string | number | boolean>): void {
    if (this.recording) this.span.addEvent(name, attributes);
  }

  attempt(info: AttemptSpanInfo): AttemptSpan {
    return new OtelAttemptSpan(this.m, this.tracer, this.propagator, this.context, info);
  }

  stage(stage: string, attributes: Record<string, string> = {}): { end(error?: unknown): void } {
    const span = this.tracer.startSpan(`lip.extension.${stage}`, { attributes: { 'lip.extension.stage': stage, ...attributes } }, this.context);
    return {
      end: (error?: unknown) => {
        if (error !== undefined) span.setStatus({ code: this.m.api.SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
        span.end();
      },
    };
  }

  /**
   * Status ERROR for a 5xx, and for an error that ended a response whose status was already
   * sent (a stream that failed in-band after its 200), as the HTTP conventions ask; a 4xx is
   * the client's error and leaves a SERVER span's status unset.
   */
  end(status: number, error?: string): void {
    const { api, semconv } = this.m;
    this.span.setAttribute(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500 || (error !== undefined && status < 400)) this.span.setStatus({ code: api.SpanStatusCode.ERROR, ...(error ? { message: error } : {}) });
    if (error !== undefined) this.span.setAttribute(semconv.ATTR_ERROR_TYPE, error);
    this.span.end();
  }
}

class OtelAttemptSpan implements AttemptSpan {
  readonly headers: Record<string, string> = {};
  private readonly span: Api.Span;

  constructor(private readonly m: Modules, tracer: Api.Tracer, propagator: Api.TextMapPropagator, parent: Api.Context, info: AttemptSpanInfo) {
    const { api, semconv } = m;
    const { cut } = m;
    this.span = tracer.startSpan(cut(`${info.operation} ${info.model}`), {
      kind: api.SpanKind.CLIENT,
      attributes: {
        [semconv.ATTR_GEN_AI_OPERATION_NAME]: info.operation,
        [semconv.ATTR_GEN_AI_PROVIDER_NAME]: info.provider,
        [semconv.ATTR_GEN_AI_REQUEST_MODEL]: cut(info.model),
        [semconv.ATTR_GEN_AI_REQUEST_STREAM]: info.stream,
        'lip.candidate_key': cut(info.candidateKey),
        'lip.backend': info.backendId,
        ...(info.aLegId !== undefined ? { 'lip.a_leg_id': info.aLegId } : {}),
      },
    }, parent);
    propagator.inject(api.trace.setSpan(parent, this.span), this.headers, api.defaultTextMapSetter);
    if (info.inRace) this.event('lip.race.start', { 'lip.candidate_key': cut(info.candidateKey) });
  }

  event(name: string, attributes?: Record<string, string | number | boolean>): void {
    this.span.addEvent(name, attributes);
  }

  setBLegSeq(seq: number): void {
    this.span.setAttribute('lip.b_leg_seq', seq);
  }

  firstOutput(ttftMs: number): void {
    this.span.setAttribute(this.m.semconv.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, ttftMs / 1000);
  }

  end(outcome: 'success' | 'failure' | 'cancelled', result: AttemptResult | undefined, error: LipError | undefined, cancelReason: string | undefined): void {
    const { api, semconv } = this.m;
    const span = this.span;
    if (result) {
      const u = result.usage;
      const set = (key: string, value: string | number | undefined) => { if (value !== undefined) span.setAttribute(key, typeof value === 'string' ? this.m.cut(value) : value); };
      set(semconv.ATTR_GEN_AI_RESPONSE_MODEL, result.responseModel);
      if (result.finishReason !== undefined) span.setAttribute(semconv.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [result.finishReason]);
      set(semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS, u.inputTokens);
      set(semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, u.outputTokens);
      set(semconv.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u.cacheReadTokens);
      set(semconv.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, u.cacheWriteTokens);
      set(semconv.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u.reasoningTokens);
      set(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, result.upstreamStatus);
      set('lip.upstream_request_id', result.upstreamRequestId);
      set('lip.cost', result.cost);
    }
    const lipOutcome = outcome === 'cancelled' && cancelReason === 'client abort' ? 'client_abort' : outcome;
    span.setAttribute('lip.outcome', lipOutcome);
    if (cancelReason !== undefined) {
      span.setAttribute('lip.cancel_reason', cancelReason);
      if (cancelReason === 'race loser') span.addEvent('lip.race.loss');
      else if (cancelReason === 'global ttft_timeout') span.addEvent('lip.ttft_timeout', { 'lip.ttft_scope': 'global' });
    }
    if (error) {
      span.setAttribute(semconv.ATTR_ERROR_TYPE, error.code);
      if (error.code === 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT') span.addEvent('lip.ttft_timeout', { 'lip.ttft_scope': 'leaf' });
      // The message may repeat client text (a leaf ttft_timeout's names the candidate key): cut like an attribute.
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: this.m.cut(error.message) });
    }
    span.end();
  }
}
