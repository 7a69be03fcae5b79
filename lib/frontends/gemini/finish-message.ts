import type { FinishDetails } from '../../canonical/index.js';
import { FINISH_DIALECTS } from '../../canonical/index.js';

/** A gemini backend's `finishMessage` (FINISH_DIALECTS.gemini): the finish reason in words; none from another dialect. */
export function finishMessage(details: FinishDetails | undefined): string | undefined {
  const said = details?.dialect === FINISH_DIALECTS.gemini ? details.value.finishMessage : undefined;
  return typeof said === 'string' ? said : undefined;
}

/** `finishMessage` as a candidate's field, when there is one. */
export function finishMessageOf(details: FinishDetails | undefined): { finishMessage?: string } {
  const said = finishMessage(details);
  return said !== undefined ? { finishMessage: said } : {};
}
