import type { UpstreamRequest } from '../http/index.js';
import type { AwsCredentials } from './credentials.js';
import { Sha256 } from './sha256.js';

type SignatureV4Module = typeof import('@smithy/signature-v4');
let signerModule: Promise<SignatureV4Module> | undefined;
/** `@smithy/signature-v4` is imported when the first SigV4 request is signed. */
const loadSigner = () => (signerModule ??= import('@smithy/signature-v4'));

/** The SigV4 signing name of Bedrock (the runtime and the control plane both sign as `bedrock`). */
export const BEDROCK_SIGNING_NAME = 'bedrock';

export interface SignInput {
  readonly method: 'GET' | 'POST';
  /** The full URL; its path is already percent-encoded once (`/model/a%3A0/converse`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** The signing time (tests pin it); now when absent. */
  readonly date?: Date;
}

/**
 * Signs one request with AWS Signature Version 4 (`@smithy/signature-v4`, service `bedrock`)
 * and returns it ready for the undici client: `authorization`, `x-amz-date`,
 * `x-amz-content-sha256` and, with session credentials, `x-amz-security-token` added. The
 * path goes out encoded once and is signed encoded twice (the signer escapes each segment
 * again, as AWS expects for every service but S3): `%3A` is signed as `%253A`.
 *
 * ```ts
 * await signRequest({ method: 'POST', url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/m%3A0/converse', headers, body, region, credentials })
 * // { ..., headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/bedrock/aws4_request, ...' } }
 * ```
 * @see spec/backends/bedrock/sign-request.spec.ts
 */
export async function signRequest(input: SignInput): Promise<UpstreamRequest> {
  const { SignatureV4 } = await loadSigner();
  const url = new URL(input.url);
  const signer = new SignatureV4({ service: BEDROCK_SIGNING_NAME, region: input.region, credentials: input.credentials, sha256: Sha256, applyChecksum: true });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signer.sign({
    method: input.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { ...lowerCase(input.headers), host: url.host },
    ...(input.body !== undefined ? { body: input.body } : {}),
  }, input.date ? { signingDate: input.date } : {});
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = String(v);
  return { method: input.method, url: input.url, headers, ...(input.body !== undefined ? { body: input.body } : {}) };
}

function lowerCase(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
