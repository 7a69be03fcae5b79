import { acceptIdentityUrl, acceptIdentityValue, PRODUCT_NAME, PRODUCT_USER_AGENT } from '../../wire/index.js';
import type { AppAttribution, ClientHeaders, IdentityPolicy, UpstreamIdentityPolicy } from '../backend.js';

/** The policy when none is configured: lip's product identity on every carrier. */
export const DEFAULT_UPSTREAM_IDENTITY: UpstreamIdentityPolicy = Object.freeze({
  user_agent: { mode: 'proxy' as const }, app_url: { mode: 'proxy' as const }, app_title: { mode: 'proxy' as const },
});

/** One carrier a backend presents: the header it goes in, its policy, and how a client's value is read. */
interface Carrier {
  readonly header: string;
  readonly policy: IdentityPolicy;
  /** lip's own value (`proxy`, and `passthrough` off a client's call); undefined: lip has none. */
  readonly product: string | undefined;
  /** The client's value for `passthrough`, accepted or undefined. */
  client(headers: ClientHeaders): string | undefined;
}

/**
 * What one backend says it is upstream (docs/security.md, "Identity"): its `User-Agent` and,
 * for a kind with app attribution (a preset's headers), the app's URL and title, each by the
 * global `identity.upstream` policy or the row's own `identity` override (a carrier the row
 * does not name inherits). `proxy` sends lip's product value (`lip/VERSION`, title `lip`; lip
 * has no app URL of its own, so none), `custom` the configured value, `drop` nothing, and
 * `passthrough` the client's own header when it is acceptable (trimmed, bounded, no control
 * characters; nothing when it is missing or not) on the requests made for a client, lip's
 * product value on the others (a model list). A carrier the row's `headers` set is left to them.
 *
 * `fixed` goes on every request of the backend (the upstream client's defaults);
 * `forClient` gives a client's request its passthrough values, or undefined when there are none.
 * @see spec/backends/http/upstream-identity.spec.ts
 */
export class UpstreamIdentity {
  readonly fixed: Readonly<Record<string, string>>;
  private readonly passthrough: readonly Carrier[];

  constructor(global: UpstreamIdentityPolicy, row: Readonly<Record<string, unknown>>, attribution: AppAttribution | undefined) {
    const own = (row.identity ?? {}) as Partial<UpstreamIdentityPolicy>;
    const set = new Set(Object.keys((row.headers ?? {}) as object).map((name) => name.toLowerCase()));
    const carriers: Carrier[] = [
      { header: 'user-agent', policy: own.user_agent ?? global.user_agent, product: PRODUCT_USER_AGENT, client: (h) => acceptIdentityValue(h['user-agent']) },
    ];
    if (attribution !== undefined) {
      const titles = [attribution.title, ...(attribution.titleAliases ?? [])].map((name) => name.toLowerCase());
      carriers.push(
        { header: attribution.url.toLowerCase(), policy: own.app_url ?? global.app_url, product: undefined, client: (h) => acceptIdentityUrl(h[attribution.url.toLowerCase()]) },
        { header: attribution.title.toLowerCase(), policy: own.app_title ?? global.app_title, product: PRODUCT_NAME, client: (h) => firstAccepted(h, titles) },
      );
      if ((attribution.titleAliases ?? []).some((alias) => set.has(alias.toLowerCase()))) set.add(attribution.title.toLowerCase());
    }
    const fixed: Record<string, string> = {};
    const passthrough: Carrier[] = [];
    for (const carrier of carriers) {
      if (set.has(carrier.header)) continue; // the row's headers name it: theirs is sent
      const { mode, value } = carrier.policy;
      const sent = mode === 'custom' ? value : mode === 'drop' ? undefined : carrier.product;
      if (sent !== undefined) fixed[carrier.header] = sent;
      if (mode === 'passthrough') passthrough.push(carrier);
    }
    this.fixed = fixed;
    this.passthrough = passthrough;
  }

  /**
   * A client's request's passthrough values (a header it lacks, or sent unacceptable, is left
   * out: undefined, which the upstream client omits, overriding the product value), or undefined
   * when no carrier passes through or the request is not a client's (an auxiliary call).
   */
  forClient(headers: ClientHeaders | undefined): Record<string, string | undefined> | undefined {
    if (this.passthrough.length === 0 || headers === undefined) return undefined;
    const out: Record<string, string | undefined> = {};
    for (const carrier of this.passthrough) out[carrier.header] = carrier.client(headers);
    return out;
  }
}

function firstAccepted(headers: ClientHeaders, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = acceptIdentityValue(headers[name]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** What a protocol kind (or its preset, by `defaults`) presents upstream: `HttpProtocol.identity`. */
export function presentedIdentity(defaults: { readonly attribution?: AppAttribution }): { readonly attribution?: AppAttribution } {
  return defaults.attribution !== undefined ? { attribution: defaults.attribution } : {};
}
