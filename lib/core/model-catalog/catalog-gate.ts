import type { Call, GenerationOptions, Part } from '../../canonical/index.js';
import { estimateTokens } from '../../canonical/index.js';
import type { CatalogModality } from '../../config/index.js';
import type { Candidate, Skip } from '../../routing/plan/route-context.js';
import type { CatalogPolicy, ResolvedFacts } from './catalog-policy.js';
import { countCatalog, type CatalogEvent } from './counts.js';
import { inputWindow } from './snapshot.js';

const NO_FACTS = Object.freeze({});
const INTERLEAVED = Object.freeze({ interleaved: true });
const NOT_INTERLEAVED = Object.freeze({ interleaved: false });

/** The facts the extensions read of a backend's model (AttemptTarget.catalog), whatever the call. */
export function extensionFacts(policy: CatalogPolicy, backend: string, model: string): { readonly interleaved?: boolean } {
  const interleaved = policy.resolve(backend, model).facts.interleaved;
  return interleaved === undefined ? NO_FACTS : interleaved ? INTERLEAVED : NOT_INTERLEAVED;
}

/** The inputs besides text a request gives the model, and whether it defines tools. */
export interface RequestNeeds {
  readonly modalities: readonly Exclude<CatalogModality, 'text'>[];
  readonly tools: boolean;
}

/** The modality of a document by its media type or file name; undefined for text and unknown ones. */
function fileModality(mediaType: string | undefined, filename: string | undefined): Exclude<CatalogModality, 'text'> | undefined {
  const type = mediaType?.toLowerCase();
  if (type !== undefined) {
    if (type === 'application/pdf') return 'pdf';
    if (type.startsWith('image/')) return 'image';
    if (type.startsWith('audio/')) return 'audio';
    if (type.startsWith('video/')) return 'video';
    return undefined;
  }
  return filename?.toLowerCase().endsWith('.pdf') ? 'pdf' : undefined;
}

function partModality(part: Part): Exclude<CatalogModality, 'text'> | undefined {
  if (part.type === 'image') return 'image';
  if (part.type === 'file') return fileModality(part.mediaType, part.filename);
  return undefined;
}

/** What a call asks of a model (every message and tool result, in any role). */
export function needsOf(call: Call): RequestNeeds {
  const modalities = new Set<Exclude<CatalogModality, 'text'>>();
  for (const message of call.messages) {
    for (const part of message.parts) {
      const modality = partModality(part);
      if (modality !== undefined) modalities.add(modality);
      else if (part.type === 'tool_result' && typeof part.content !== 'string') {
        for (const inner of part.content) {
          const m = partModality(inner as Part);
          if (m !== undefined) modalities.add(m);
        }
      }
    }
  }
  return { modalities: [...modalities].sort(), tools: call.tools.length > 0 };
}

/** Where a decision's fact came from, for its reason: `catalog <provider>/<model>`, `backend override`, `model override`. */
function origin(resolved: ResolvedFacts, fact: keyof ResolvedFacts['sources']): string {
  const source = resolved.sources[fact];
  if (source === 'catalog') return resolved.entries.length === 1 ? `catalog ${resolved.entries[0]!}` : `catalog (${resolved.entries.length} entries by name)`;
  return source === 'pair_override' ? 'backend override' : 'model override';
}

/**
 * One request's view of the catalog: which candidates it leaves out before any attempt (a
 * context or input limit the request's estimate exceeds, an input modality or tool calling the
 * model does not take; `model_catalog.exclude`) and how it adapts the call sent to one
 * (`model_catalog.adapt`). Facts that are unknown decide nothing. The request's needs and size
 * are worked out once, the first time a candidate with a fact asks.
 */
export class CatalogGate {
  private needs: RequestNeeds | undefined;
  private tokens: number | undefined;
  /** Candidates already counted as left out (routing may ask about one more than once). */
  private counted: Set<string> | undefined;

  constructor(private readonly policy: CatalogPolicy, private readonly call: Call, estimatedTokens: number | undefined) {
    this.tokens = estimatedTokens;
  }

  /** Why a candidate cannot take this request, or undefined. Reasons start `context` or `capability` (route-journal.ts). */
  skip(candidate: Candidate): Skip | undefined {
    const resolved = this.policy.resolve(candidate.backend, candidate.model);
    const facts = resolved.facts;
    const exclude = this.policy.config.exclude;
    if (exclude.tools && facts.tools === false) {
      if ((this.needs ??= needsOf(this.call)).tools) {
        this.count(candidate, 'excluded_tools');
        return { reason: `capability: ${candidate.model} does not call tools (${origin(resolved, 'tools')})` };
      }
    }
    if (exclude.modalities && facts.modalities !== undefined) {
      const needs = (this.needs ??= needsOf(this.call));
      const missing = needs.modalities.filter((m) => !facts.modalities!.includes(m));
      if (missing.length > 0) {
        this.count(candidate, 'excluded_modality');
        return { reason: `capability: ${candidate.model} does not take ${missing.join(', ')} input (${origin(resolved, 'modalities')})` };
      }
    }
    const bound = inputWindow(facts);
    if (exclude.context && bound !== undefined) {
      const tokens = (this.tokens ??= estimateTokens(this.call));
      const { limit, fact } = bound;
      if (tokens > limit) {
        this.count(candidate, 'excluded_context');
        return { reason: `context: about ${tokens} tokens > ${fact} limit ${limit} of ${candidate.model} (${origin(resolved, fact)})`, overflow: { tokens, limit } };
      }
    }
    return undefined;
  }

  private count(candidate: Candidate, event: CatalogEvent): void {
    const counted = (this.counted ??= new Set());
    if (counted.has(candidate.key)) return;
    counted.add(candidate.key);
    countCatalog(event);
  }

  /** The facts the extensions read of a candidate's model (AttemptTarget.catalog). */
  extensionFacts(candidate: Candidate): { readonly interleaved?: boolean } {
    return extensionFacts(this.policy, candidate.backend, candidate.model);
  }

  /**
   * The model's known output limit as a ceiling for the limit a backend picks itself
   * (Target.outputCeiling), when `adapt.max_output_tokens` is on; undefined otherwise.
   */
  outputCeiling(candidate: Candidate): number | undefined {
    return this.policy.config.adapt.max_output_tokens ? this.policy.resolve(candidate.backend, candidate.model).facts.output : undefined;
  }

  /** The options sent to a candidate, adapted to its facts (the same object when nothing changes). */
  adapt(options: GenerationOptions, candidate: Candidate): GenerationOptions {
    const adapt = this.policy.config.adapt;
    if (!adapt.max_output_tokens && !adapt.reasoning && !adapt.sampling) return options;
    const facts = this.policy.resolve(candidate.backend, candidate.model).facts;
    let adapted: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } | undefined;
    const edit = () => (adapted ??= { ...options });
    if (adapt.max_output_tokens && facts.output !== undefined && options.maxOutputTokens !== undefined && options.maxOutputTokens > facts.output) {
      edit().maxOutputTokens = facts.output;
      countCatalog('clamped_max_output_tokens');
    }
    if (adapt.reasoning && facts.reasoning === false && options.reasoning !== undefined) {
      delete edit().reasoning;
      countCatalog('dropped_reasoning');
    }
    if (adapt.sampling && facts.temperature === false && (options.temperature !== undefined || options.topP !== undefined || options.topK !== undefined)) {
      const o = edit();
      delete o.temperature;
      delete o.topP;
      delete o.topK;
      countCatalog('dropped_sampling');
    }
    return adapted ?? options;
  }
}
