import { LipError } from '../../errors/index.js';
import type { StaticCredentials } from './options.js';

/** What SigV4 signs with. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Resolves the credentials of one request; cached until they near expiry. */
export type CredentialProvider = () => Promise<AwsCredentials>;

/** Builds the default AWS chain; injected by tests, `fromNodeProviderChain` otherwise. */
export type ChainFactory = () => Promise<CredentialProvider>;

/**
 * The default AWS credential chain (`@aws-sdk/credential-providers`' `fromNodeProviderChain`:
 * environment, shared config and SSO, web identity, container and instance roles). The package
 * is imported on the first request of a backend that uses it, never at start-up and never by a
 * config without such a backend. The chain itself memoises and refreshes before expiry. It reads
 * the shared config and credentials files each time it resolves (`ignoreCache`), not the copy the
 * SDK keeps for the process: a file rewritten with fresh keys (aws-vault, saml2aws) is seen by the
 * chain built after `invalidate()` or a reload.
 */
export const defaultChain: ChainFactory = async () => {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return fromNodeProviderChain({ ignoreCache: true }) as CredentialProvider;
};

/**
 * One backend's credentials, resolved per request: static row keys as they are, or the default
 * chain built once (lazily) and asked every time, so that expiring role credentials are renewed
 * without a restart. `invalidate()` drops the chain after the upstream rejected its credentials
 * (an expired token): the next request builds a fresh one.
 *
 * ```ts
 * const creds = new BedrockCredentials('bedrock', undefined, defaultChain);
 * await creds.resolve() // { accessKeyId, secretAccessKey, sessionToken? }
 * ```
 * @see spec/backends/bedrock/credentials.spec.ts
 */
export class BedrockCredentials {
  private chain: Promise<CredentialProvider> | undefined;

  constructor(private readonly backendId: string, private readonly fixed: StaticCredentials | undefined, private readonly chainFactory: ChainFactory = defaultChain) {}

  /** Where the credentials come from, for logs and messages. */
  get source(): 'static' | 'default_chain' {
    return this.fixed ? 'static' : 'default_chain';
  }

  async resolve(): Promise<AwsCredentials> {
    if (this.fixed) return this.fixed;
    try {
      const provider = await (this.chain ??= this.chainFactory());
      return await provider();
    } catch (err) {
      this.chain = undefined;
      throw new LipError('LIP_ERR_UPSTREAM_NO_CREDENTIALS', `backend "${this.backendId}": no AWS credentials: ${(err as Error)?.message ?? String(err)} (set access_key_id / secret_access_key or api_key on the row, or configure the AWS environment)`, {
        status: 503, cause: err, detail: { backend: this.backendId, reason: 'none_configured' },
      });
    }
  }

  invalidate(): void {
    this.chain = undefined;
  }
}
