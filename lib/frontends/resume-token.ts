/** The metadata key that carries a resume token in a request body (where the protocol has metadata). */
export const RESUME_TOKEN_METADATA_KEY = 'lip_resume_token';

/**
 * Takes the resume token out of a request's metadata: the token is lip's, so it never reaches
 * the canonical call (which backends forward as upstream metadata) nor any echo of the request.
 * @see docs/continuity.md#sessions-and-resume-tokens
 */
export function takeResumeToken(metadata: Readonly<Record<string, unknown>> | null | undefined): { metadata: Record<string, string>; resumeToken?: string } {
  if (!metadata || !Object.prototype.hasOwnProperty.call(metadata, RESUME_TOKEN_METADATA_KEY)) return { metadata: (metadata ?? {}) as Record<string, string> };
  const { [RESUME_TOKEN_METADATA_KEY]: token, ...rest } = metadata;
  return { metadata: rest as Record<string, string>, ...(typeof token === 'string' && token !== '' ? { resumeToken: token } : {}) };
}
