import type { FinishDetails } from '../../canonical/index.js';
import { FINISH_DIALECTS } from '../../canonical/index.js';

/** A gemini backend's fields of the answer's end (FINISH_DIALECTS.gemini); none from another dialect. */
function geminiFields(details: FinishDetails | undefined): Readonly<Record<string, unknown>> | undefined {
  return details?.dialect === FINISH_DIALECTS.gemini ? details.value : undefined;
}

/**
 * The candidate's own fields a gemini backend gave, as it wrote them: `finishMessage` (the finish
 * reason in words), `safetyRatings`, `citationMetadata`; none for another provider's answer.
 */
export function candidateFieldsOf(details: FinishDetails | undefined): { finishMessage?: string; safetyRatings?: unknown; citationMetadata?: unknown } {
  const fields = geminiFields(details);
  if (fields === undefined) return {};
  return {
    ...(typeof fields.finishMessage === 'string' ? { finishMessage: fields.finishMessage } : {}),
    ...(Array.isArray(fields.safetyRatings) ? { safetyRatings: fields.safetyRatings } : {}),
    ...(typeof fields.citationMetadata === 'object' && fields.citationMetadata !== null ? { citationMetadata: fields.citationMetadata } : {}),
  };
}

/**
 * A blocked prompt's `promptFeedback` (`blockReason`, `safetyRatings`, ...) as a gemini backend
 * wrote it: the answer is then that feedback with no candidate, as Gemini answers it.
 */
export function promptFeedbackOf(details: FinishDetails | undefined): Readonly<Record<string, unknown>> | undefined {
  const feedback = geminiFields(details)?.promptFeedback;
  return typeof feedback === 'object' && feedback !== null && typeof (feedback as Record<string, unknown>).blockReason === 'string' ? feedback as Record<string, unknown> : undefined;
}
