/** What a region name is (a row's `region` is held to it by the schema). */
export const REGION_NAME = /^[a-z0-9-]+$/;

/** The region when nothing names one, as the AWS SDKs default. */
export const DEFAULT_REGION = 'us-east-1';

/** The region of the environment, as the AWS CLI reads it: `AWS_REGION`, else `AWS_DEFAULT_REGION` (a value that is no region name is passed over). */
export function environmentRegion(env: NodeJS.ProcessEnv): string | undefined {
  return [env.AWS_REGION, env.AWS_DEFAULT_REGION].find((r): r is string => r !== undefined && REGION_NAME.test(r));
}

/**
 * One backend's region: `given` (the row's `region`, else the environment's: environmentRegion),
 * else DEFAULT_REGION. A function so that where requests go is worked out when the first one is
 * made (bedrockPlace).
 * @see spec/backends/bedrock/region.spec.ts
 */
export function regionOf(given: string | undefined): () => Promise<string> {
  const known = Promise.resolve(given ?? DEFAULT_REGION);
  return () => known;
}
