/** Chat Completions errors use the flat OpenAI envelope, `{"error": {message, type, param, code}}`. */
export { flatErrorObject as chatErrorObject, encodeFlatError as encodeChatError } from '../error-envelope.js';
