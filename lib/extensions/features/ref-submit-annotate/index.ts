export { refSubmitAnnotate, REF_SUBMIT_KEY, type RefSubmitAnnotateConfig } from './ref-submit-annotate.js';
