import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockCredentials, defaultChain } from '../../../lib/backends/bedrock/credentials.js';

/**
 * The default chain against a shared credentials file, as aws-vault, saml2aws or a script leave
 * it: temporary keys that are rewritten in place when they expire. The AWS environment of the
 * process is set aside; no request leaves the machine.
 */
describe('backends/bedrock/credentials', () => {
  let dir: string;
  let file: string;
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const k of Object.keys(process.env)) {
      if (k.startsWith('AWS_')) {
        saved[k] = process.env[k];
        delete process.env[k];
      }
    }
    dir = mkdtempSync(join(tmpdir(), 'lip-aws-'));
    file = join(dir, 'credentials');
    Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: join(dir, 'config'), AWS_EC2_METADATA_DISABLED: 'true' });
  });
  after(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    rmSync(dir, { recursive: true, force: true });
  });
  const keys = (id: string) => writeFileSync(file, `[default]\naws_access_key_id = ${id}\naws_secret_access_key = secret-${id}\n`);

  it('after invalidate(), and in a backend built anew, reads the shared credentials file as it is now', async () => {
    keys('AKIDEXPIRED');
    const creds = new BedrockCredentials('br', undefined, defaultChain);
    expect((await creds.resolve()).accessKeyId).to.equal('AKIDEXPIRED');
    keys('AKIDRENEWED');
    // Until the upstream refuses them, the memoised keys are used.
    expect((await creds.resolve()).accessKeyId).to.equal('AKIDEXPIRED');
    creds.invalidate();
    expect((await creds.resolve()).accessKeyId).to.equal('AKIDRENEWED');
    keys('AKIDRELOADED');
    // A reload builds a new backend and with it a new chain.
    expect((await new BedrockCredentials('br', undefined, defaultChain).resolve()).accessKeyId).to.equal('AKIDRELOADED');
  });
});
