export { refToolPolicy, blockedBy, type RefToolPolicyConfig } from './ref-tool-policy.js';
