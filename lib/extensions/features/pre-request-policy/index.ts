export { preRequestPolicy, type PreRequestPolicyConfig } from './pre-request-policy.js';
export { judgeHandler, type JudgeHandlerConfig } from './judge-handler.js';
