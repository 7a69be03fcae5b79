import { ConfigError, formatIssue, parseConfig, type Config } from '../../lib/config/index.js';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { EMULATOR_AWS } from './emulators/bedrock-emulator.js';

/** Parses YAML config text the way `lip` does (the real registry, the real checks). */
export function configFrom(yaml: string, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfig(yaml, 'test.yaml', { ...LOAD_OPTIONS, env });
}

/** The problems the loader reports for YAML config text, as `path: message` (none: `[]`). */
export function configIssues(yaml: string): string[] {
  try {
    configFrom(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

/** The problems of YAML config text located as `lip check-config` prints them (`lip.yaml:line:col: ...`; none: `[]`). */
export function configProblems(yaml: string): string[] {
  try {
    parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  return [];
}

/**
 * A test config: the given backends (YAML list items) plus extra sections; loopback on port 0
 * and quiet access logs unless `extra` has its own `server:` / `logging:` section.
 */
export function testConfig(backendsYaml: string, extra = ''): Config {
  return configFrom(testConfigYaml(backendsYaml, extra));
}

/** The YAML text `testConfig` parses (for a spec that also hands the config to the CLI as a file). */
export function testConfigYaml(backendsYaml: string, extra = ''): string {
  const has = (section: string) => new RegExp(`^${section}:`, 'm').test(extra);
  return [
    has('server') ? '' : 'server: { host: 127.0.0.1, port: 0 }',
    has('logging') ? '' : 'logging: { access_log: false }',
    extra,
    'backends:',
    backendsYaml,
  ].join('\n');
}

/**
 * A test config with one OpenAI Chat backend `up` at `upstreamUrl` serving the default route
 * (`up:chat`), plus extra YAML lines (`features:` rows, `diagnostics:` ...).
 */
export function chatUpstreamConfig(upstreamUrl: string, lines: readonly string[] = []): Config {
  return testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstreamUrl}", api_key: "k" }`, ['routing: { default_route: "up:chat" }', ...lines].join('\n'));
}

/**
 * A `backends:` row for a bedrock backend `id` before a Bedrock emulator, signing with the
 * emulator's credentials, plus `extra` keys (`cache_enrollment: automatic`, ...).
 */
export function bedrockRow(id: string, emulator: { origin: string }, extra = ''): string {
  return `  - { id: ${id}, kind: bedrock, base_endpoint: "${emulator.origin}", disable_https: true, access_key_id: ${EMULATOR_AWS.accessKeyId}, secret_access_key: ${EMULATOR_AWS.secretAccessKey}${extra ? `, ${extra}` : ''} }`;
}
