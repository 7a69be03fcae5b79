import { LipError } from '../errors/index.js';

/**
 * The LipError `encode` refuses a call with (an encoder's refusal before sending: a hosted tool
 * the protocol has no form for, a parameter the endpoint does not take), undefined when it
 * encodes it; any other throw is a fault and goes on. What Backend.refusal is made of: it sends
 * nothing.
 *
 * ```ts
 * refusalOf(() => encodeChatRequest(call, model, options)) // the LipError, or undefined
 * ```
 * @see spec/e2e/regression-count-tokens-refused-call.spec.ts
 */
export function refusalOf(encode: () => unknown): LipError | undefined {
  try {
    encode();
    return undefined;
  } catch (err) {
    if (err instanceof LipError) return err;
    throw err;
  }
}
