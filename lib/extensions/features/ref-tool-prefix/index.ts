export { refToolPrefix, type RefToolPrefixConfig } from './ref-tool-prefix.js';
