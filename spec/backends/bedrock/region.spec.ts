import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bedrockProtocol, BEDROCK_DEFAULTS, environmentRegion, regionOf, sharedConfigRegion } from '../../../lib/backends/bedrock/index.js';
import { emptyCall } from '../../../lib/canonical/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-bedrock-region-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const CONFIG = file('config', '[default]\nregion = eu-west-3\n\n[profile eu]\nregion = eu-central-1\n\n[profile bare]\noutput = json\n');
const CREDENTIALS = file('credentials', '[bare]\naws_access_key_id = A\naws_secret_access_key = S\nregion = ap-south-1\n');
const NONE = join(dir, 'absent');

describe('backends/bedrock/region', () => {
  it('environmentRegion: AWS_REGION, else AWS_DEFAULT_REGION, a value that is no region name passed over', () => {
    expect(environmentRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' })).to.equal('eu-west-1');
    expect(environmentRegion({ AWS_DEFAULT_REGION: 'us-west-2' })).to.equal('us-west-2');
    expect(environmentRegion({ AWS_REGION: '', AWS_DEFAULT_REGION: 'us-west-2' })).to.equal('us-west-2');
    expect(environmentRegion({ AWS_REGION: 'eu west 1' })).to.equal(undefined);
    expect(environmentRegion({})).to.equal(undefined);
  });

  it('sharedConfigRegion: the AWS_PROFILE (else default) profile\'s region in the config file, else in the credentials file', async () => {
    const env = (extra: NodeJS.ProcessEnv) => ({ AWS_CONFIG_FILE: CONFIG, AWS_SHARED_CREDENTIALS_FILE: CREDENTIALS, ...extra });
    expect(await sharedConfigRegion(env({}))).to.equal('eu-west-3');
    expect(await sharedConfigRegion(env({ AWS_PROFILE: 'eu' }))).to.equal('eu-central-1');
    expect(await sharedConfigRegion(env({ AWS_PROFILE: 'bare' }))).to.equal('ap-south-1');
    expect(await sharedConfigRegion(env({ AWS_PROFILE: 'nobody' }))).to.equal(undefined);
    expect(await sharedConfigRegion({ AWS_CONFIG_FILE: NONE, AWS_SHARED_CREDENTIALS_FILE: NONE })).to.equal(undefined);
  });

  it('regionOf: the given region (no profile read), else the profile\'s, read once, else us-east-1', async () => {
    let reads = 0;
    const profile = async () => {
      reads++;
      return 'eu-north-1';
    };
    expect(await regionOf('ca-central-1', {}, profile)()).to.equal('ca-central-1');
    expect(reads).to.equal(0);
    const region = regionOf(undefined, {}, profile);
    expect([await region(), await region()]).to.deep.equal(['eu-north-1', 'eu-north-1']);
    expect(reads).to.equal(1);
    expect(await regionOf(undefined, {}, async () => undefined)()).to.equal('us-east-1');
    expect(await regionOf(undefined, {}, async () => { throw new Error('unreadable'); })()).to.equal('us-east-1');
  });

  it('a row without region sends to and signs for the environment\'s region, else the profile\'s; the row\'s wins', async () => {
    const url = async (row: Record<string, unknown>, env: NodeJS.ProcessEnv) => {
      const protocol = bedrockProtocol({ id: 'br', kind: 'bedrock', models: [], ...row }, { env }, BEDROCK_DEFAULTS);
      const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
      return (await protocol.generate(call, { model: 'anthropic.claude-x', candidateKey: 'br:anthropic.claude-x' }, 'api-key')).url;
    };
    const files = { AWS_CONFIG_FILE: CONFIG, AWS_SHARED_CREDENTIALS_FILE: CREDENTIALS };
    expect(await url({}, { AWS_REGION: 'eu-west-1', ...files })).to.equal('https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({}, { AWS_DEFAULT_REGION: 'us-west-2', ...files })).to.equal('https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({}, { AWS_PROFILE: 'eu', ...files })).to.equal('https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({}, { AWS_CONFIG_FILE: NONE, AWS_SHARED_CREDENTIALS_FILE: NONE })).to.equal('https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({ region: 'ap-northeast-1' }, { AWS_REGION: 'eu-west-1', ...files })).to.equal('https://bedrock-runtime.ap-northeast-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
  });
});
