import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { bedrockRow, testConfig } from '../helpers/config.js';
import { startBedrockEmulator, verifyBedrockRequest, type Emulator } from '../helpers/emulators/index.js';
import { startLip } from '../helpers/lip.js';

const MODEL = 'br:anthropic.claude-sonnet-4-20250514-v1:0';
const dir = mkdtempSync(join(tmpdir(), 'lip-bedrock-region-'));
const CONFIG = join(dir, 'config');
writeFileSync(CONFIG, '[profile eu]\nregion = eu-central-1\n');
const NONE = join(dir, 'absent');

/**
 * A bedrock row without `region` went to us-east-1 whatever the environment said, while the
 * default credential chain took its keys from that same environment: a machine set up with
 * `AWS_REGION=eu-west-1` signed for and sent to another region than every AWS tool on it. The
 * region of such a row is now `AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1 (a
 * profile's region in ~/.aws/config is not read).
 */
describe('e2e regression: a Bedrock row without region takes the environment\'s', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  before(async () => {
    bedrock = await startBedrockEmulator();
  });
  after(() => bedrock?.close());
  beforeEach(() => bedrock.reset());

  /** The region the one request of a lip with `env` signed for (the emulator checks the signature). */
  const signedRegion = async (env: NodeJS.ProcessEnv, extra = '') => {
    const lip = await startLip(testConfig(bedrockRow('br', bedrock, extra)), { env: { AWS_CONFIG_FILE: NONE, AWS_SHARED_CREDENTIALS_FILE: NONE, ...env } });
    try {
      const openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
      const request = bedrock.requests.at(-1)!;
      expect(await verifyBedrockRequest(request)).to.equal(undefined);
      return /Credential=[^/]+\/\d{8}\/([^/]+)\/bedrock\//.exec(String(request.headers.authorization))?.[1];
    } finally {
      await lip.close();
    }
  };

  it('AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (not a profile\'s region); the row\'s region wins', async () => {
    expect(await signedRegion({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' })).to.equal('eu-west-1');
    expect(await signedRegion({ AWS_DEFAULT_REGION: 'us-west-2' })).to.equal('us-west-2');
    expect(await signedRegion({ AWS_PROFILE: 'eu', AWS_CONFIG_FILE: CONFIG })).to.equal('us-east-1');
    expect(await signedRegion({})).to.equal('us-east-1');
    expect(await signedRegion({ AWS_REGION: 'eu-west-1' }, 'region: ap-northeast-1')).to.equal('ap-northeast-1');
  });
});
