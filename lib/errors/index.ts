export { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorSpec } from './codes.js';
export { LipError, isLipError, toLipError, isRetryableStatus, type LipErrorOptions } from './lip-error.js';
export { guard, internalErrorChannel, reportInternalError, type InternalErrorReport } from './internal-error.js';
