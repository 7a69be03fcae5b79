export { submitNoop, SUBMIT_NOOP_LIFECYCLE, type SubmitNoopConfig } from './submit-noop.js';
