import { expect } from 'chai';
import OpenAI from 'openai';
import { bedrockRow, testConfig } from '../helpers/config.js';
import { startBedrockEmulator, verifyBedrockRequest, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const MODEL = 'br:anthropic.claude-sonnet-4-20250514-v1:0';
const HOUR = 3_600_000;
const messages = [{ role: 'user' as const, content: 'hi' }];

/**
 * A machine whose clock is off by more than five minutes signs every SigV4 request at a time AWS
 * refuses (403 InvalidSignatureException "Signature expired" / "Signature not yet current"), and
 * lip kept signing at its own clock: every request of a bedrock row failed until the clock was
 * fixed. As the AWS SDKs do, lip now takes AWS's time from the refusal's `Date` header, keeps the
 * offset for the backend, signs the refused request again at the corrected time (once) and every
 * later one too, and warns once. The emulator checks signing times against its own clock.
 */
describe('e2e regression: a Bedrock row corrects its SigV4 signing time from AWS\'s', function () {
  this.timeout(20_000);
  const cases = [['behind', HOUR, 'Signature expired'], ['ahead of', -HOUR, 'Signature not yet current']] as const;
  for (const [where, skewMs, refusal] of cases) {
    describe(`a local clock an hour ${where} AWS's`, () => {
      let bedrock: Emulator;
      let lip: RunningLip;
      let openai: OpenAI;
      before(async () => {
        bedrock = await startBedrockEmulator({ clockSkewMs: skewMs });
        lip = await startLip(testConfig(bedrockRow('br', bedrock)));
        openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      });
      after(async () => {
        await lip?.close();
        await bedrock?.close();
      });

      it(`the emulator refuses a request signed by this machine's clock ("${refusal}")`, async () => {
        const answer = await fetch(`${bedrock.origin}/model/m/converse`, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEMULATOR0000/20261208/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64), 'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, '') }, body: '{}' });
        expect(answer.status).to.equal(403);
        expect(((await answer.json()) as { message: string }).message).to.match(new RegExp(`^${refusal}: `));
        expect(Math.abs(Date.parse(answer.headers.get('date')!) - (Date.now() + skewMs))).to.be.below(60_000);
        bedrock.reset();
      });

      it('the refused request is signed again at AWS\'s time and answered; the next ones are signed so at once; one warning', async () => {
        const first = await openai.chat.completions.create({ model: MODEL, messages });
        expect(first.choices[0]!.message.content).to.equal('Hello from the emulator.');
        expect(bedrock.requests).to.have.length(2);
        const second = await openai.chat.completions.create({ model: MODEL, messages });
        expect(second.choices[0]!.message.content).to.equal('Hello from the emulator.');
        expect(bedrock.requests).to.have.length(3);
        const now = () => Date.now() + skewMs;
        for (const request of bedrock.requests.slice(1)) expect(await verifyBedrockRequest(request, now)).to.equal(undefined);
        const warnings = lip.logs.filter((l) => l.level === 'warn' && String(l.message).includes('clock'));
        expect(warnings).to.have.length(1);
        expect(warnings[0]).to.deep.include({ backend: 'br', message: `bedrock: the local clock is 60 min ${where} AWS's (a request was refused for its signing time); requests are signed at AWS's time from now on: correct the system clock (NTP)` });
      });
    });
  }
});
