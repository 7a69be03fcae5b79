/** Responses errors use the flat OpenAI envelope, `{"error": {message, type, param, code}}`. */
export { flatErrorObject as responsesErrorObject, encodeFlatError as encodeResponsesError } from '../error-envelope.js';
