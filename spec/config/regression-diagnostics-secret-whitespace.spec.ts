import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, formatIssue, parseConfig } from '../../lib/config/index.js';
import { configFrom } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const SECRET = 'the-diagnostics-secret';
const YAML = 'server: { host: 127.0.0.1, port: 0 }\nlogging: { access_log: false }\ndiagnostics: { enabled: true, shared_secret_env: LIP_SECRET }\nbackends:\n  - { id: s, kind: localstub, models: [m] }';

function lines(yaml: string, env: NodeJS.ProcessEnv): string[] {
  try {
    parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

/**
 * Found by probing: `diagnostics.shared_secret_env` kept the variable's value as it was, where
 * API keys lose surrounding white space. A secret read from a file with a trailing newline (a
 * Kubernetes or Docker secret) could never match the `X-LIP-Diagnostics-Secret` header (whose
 * value HTTP trims), so every operator request was a 403, while the length check passed. The
 * secret is now trimmed like a key, and its length is the trimmed one's.
 */
describe('config regression: a diagnostics secret with surrounding white space', function () {
  this.timeout(20_000);

  it('keeps the secret trimmed, and an operator request with it is admitted', async () => {
    const config = configFrom(YAML, { LIP_SECRET: `${SECRET}\n` });
    const lip = await startLip(config);
    try {
      const routes = await httpRequest(`${lip.url}/admin/routes`, { method: 'GET', headers: { 'x-lip-diagnostics-secret': SECRET } });
      expect(routes.status).to.equal(200);
    } finally {
      await lip.close();
    }
    expect(config.diagnostics.shared_secret).to.equal(SECRET);
  });

  it('trims an inline secret too', () => {
    const config = configFrom(YAML.replace('shared_secret_env: LIP_SECRET', `shared_secret: "  ${SECRET} "`));
    expect(config.diagnostics.shared_secret).to.equal(SECRET);
  });

  it('counts the trimmed secret\'s characters: white space does not make a short one long enough', () => {
    expect(lines(YAML, { LIP_SECRET: 'short\n\n\n\n\n\n\n\n' })).to.deep.equal(['lip.yaml:3:14: diagnostics.shared_secret: must have at least 12 characters']);
  });
});
