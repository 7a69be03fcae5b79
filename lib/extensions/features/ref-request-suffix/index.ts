export { refRequestSuffix, type RefRequestSuffixConfig } from './ref-request-suffix.js';
export { appendToFirstUserText } from './append-to-first-user-text.js';
