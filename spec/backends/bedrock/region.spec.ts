import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bedrockProtocol, BEDROCK_DEFAULTS, environmentRegion, regionOf } from '../../../lib/backends/bedrock/index.js';
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

  it('regionOf: the given region, else us-east-1', async () => {
    expect(await regionOf('ca-central-1')()).to.equal('ca-central-1');
    expect(await regionOf(undefined)()).to.equal('us-east-1');
  });

  it('a row without region sends to and signs for the environment\'s region, else us-east-1 (an AWS profile\'s region is not read); the row\'s wins', async () => {
    const url = async (row: Record<string, unknown>, env: NodeJS.ProcessEnv) => {
      const protocol = bedrockProtocol({ id: 'br', kind: 'bedrock', models: [], ...row }, { env }, BEDROCK_DEFAULTS);
      const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
      return (await protocol.generate(call, { model: 'anthropic.claude-x', candidateKey: 'br:anthropic.claude-x' }, 'api-key')).url;
    };
    const files = { AWS_CONFIG_FILE: CONFIG, AWS_SHARED_CREDENTIALS_FILE: CREDENTIALS };
    expect(await url({}, { AWS_REGION: 'eu-west-1', ...files })).to.equal('https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({}, { AWS_DEFAULT_REGION: 'us-west-2', ...files })).to.equal('https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({}, { AWS_PROFILE: 'eu', ...files })).to.equal('https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({}, { AWS_CONFIG_FILE: NONE, AWS_SHARED_CREDENTIALS_FILE: NONE })).to.equal('https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
    expect(await url({ region: 'ap-northeast-1' }, { AWS_REGION: 'eu-west-1', ...files })).to.equal('https://bedrock-runtime.ap-northeast-1.amazonaws.com/model/anthropic.claude-x/converse-stream');
  });
});
