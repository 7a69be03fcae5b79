/** What a region name is (a row's `region` is held to it by the schema). */
export const REGION_NAME = /^[a-z0-9-]+$/;

/** The region when nothing names one, as the AWS SDKs default. */
export const DEFAULT_REGION = 'us-east-1';

/** The region of the environment, as the AWS CLI reads it: `AWS_REGION`, else `AWS_DEFAULT_REGION` (a value that is no region name is passed over). */
export function environmentRegion(env: NodeJS.ProcessEnv): string | undefined {
  return [env.AWS_REGION, env.AWS_DEFAULT_REGION].find((r): r is string => r !== undefined && REGION_NAME.test(r));
}

/** Reads the region of the environment's AWS profile; injected by tests, `sharedConfigRegion` otherwise. */
export type ProfileRegion = (env: NodeJS.ProcessEnv) => Promise<string | undefined>;

/**
 * The `region` of the AWS profile the default credential chain reads (`AWS_PROFILE`, else
 * `default`) in the shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`; the config file's
 * wins over the credentials file's, `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`), read
 * afresh (not the copy the SDK keeps for the process); undefined when no file or profile names
 * one. `@smithy/core` is imported on the first call, never at start-up.
 */
export const sharedConfigRegion: ProfileRegion = async (env) => {
  const { loadSharedConfigFiles } = await import('@smithy/core/config');
  const files = await loadSharedConfigFiles({
    ignoreCache: true,
    ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
    ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
  });
  const profile = env.AWS_PROFILE || 'default';
  const region = files.configFile[profile]?.region ?? files.credentialsFile[profile]?.region;
  return region !== undefined && REGION_NAME.test(region) ? region : undefined;
};

/**
 * One backend's region, resolved once, when its first request needs it: `given` (the row's
 * `region`, else the environment's: environmentRegion), else the profile's (`profile`: the shared
 * config file), else DEFAULT_REGION, as the AWS SDKs resolve a client's region. A profile that
 * cannot be read names none.
 *
 * ```ts
 * const region = regionOf(undefined, { AWS_PROFILE: 'eu' });
 * await region() // 'eu-central-1' from `[profile eu] region = eu-central-1` in ~/.aws/config
 * ```
 * @see spec/backends/bedrock/region.spec.ts
 */
export function regionOf(given: string | undefined, env: NodeJS.ProcessEnv, profile: ProfileRegion = sharedConfigRegion): () => Promise<string> {
  if (given !== undefined) {
    const known = Promise.resolve(given);
    return () => known;
  }
  let resolved: Promise<string> | undefined;
  return () => (resolved ??= profile(env).catch(() => undefined).then((region) => region ?? DEFAULT_REGION));
}
