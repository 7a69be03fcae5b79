import { expect } from 'chai';
import OpenAI from 'openai';
import { bedrockRow, testConfig } from '../helpers/config.js';
import { EMULATOR_PROFILE_ONLY, startBedrockEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const PROFILE_ONLY = [...EMULATOR_PROFILE_ONLY][0]!;
const MODEL = 'anthropic.claude-sonnet-4-20250514-v1:0';
const messages = [{ role: 'user' as const, content: 'hi' }];

/**
 * Bedrock's refusals of a candidate's model id reached the client as its own 400 or 404, and a
 * route never tried its next candidate: a foundation id that takes an inference profile
 * ("Invocation of model ID ... with on-demand throughput isn't supported"), "The provided model
 * identifier is invalid.", and a 404 ResourceNotFoundException about the model. They say the
 * candidate is configured wrong, as the 403 of a model not enabled does, which already failed
 * over: they now fail over too (and count against the candidate's circuit), the upstream's
 * words kept with a hint of what to name instead; a route with no other candidate answers as
 * after that 403 (502, every candidate failed, naming the refusal). The emulator refuses a profile-only model
 * named by its own id as Bedrock does.
 */
describe('e2e regression: Bedrock refusing a candidate\'s model id fails over', function () {
  this.timeout(20_000);
  let bedrock: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    bedrock = await startBedrockEmulator();
    lip = await startLip(testConfig(`${bedrockRow('br', bedrock)}
  - { id: st, kind: localstub, text: "from the stub" }`));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await bedrock?.close();
  });
  beforeEach(() => bedrock.reset());

  const ask = (model: string) => openai.chat.completions.create({ model, messages }).then((a) => a.choices[0]!.message.content, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);

  it('a model that takes an inference profile, named by its own id: the route moves on; alone, the route\'s 502 with Bedrock\'s words and a hint to name a profile', async () => {
    expect(await ask(`br:${PROFILE_ONLY} | st:stub`)).to.equal('from the stub');
    expect(bedrock.requests).to.have.length(1);
    const alone = await ask(`br:${PROFILE_ONLY}`);
    expect(alone).to.be.instanceOf(OpenAI.InternalServerError);
    expect((alone as InstanceType<typeof OpenAI.APIError>).message).to.include(`Invocation of model ID ${PROFILE_ONLY} with on-demand throughput isn\u2019t supported`)
      .and.to.include('name an inference profile as the model: the model id with us., eu., apac. or global. before it');
  });

  it('"The provided model identifier is invalid." and a 404 about the model: the route moves on', async () => {
    bedrock.enqueue({ status: 400, error: { type: 'ValidationException', message: 'The provided model identifier is invalid.' } });
    expect(await ask(`br:${MODEL} | st:stub`)).to.equal('from the stub');
    bedrock.enqueue({ status: 404, error: { type: 'ResourceNotFoundException', message: 'Could not resolve the foundation model from the provided model identifier.' } });
    expect(await ask(`br:${MODEL} | st:stub`)).to.equal('from the stub');
    bedrock.enqueue({ status: 400, error: { type: 'ValidationException', message: 'The provided model identifier is invalid.' } });
    const alone = await ask(`br:${MODEL}`);
    expect(alone).to.be.instanceOf(OpenAI.InternalServerError);
    expect((alone as InstanceType<typeof OpenAI.APIError>).message).to.include('The provided model identifier is invalid.').and.to.include('check the model id and the row\'s region');
  });

  it('any other validation error is still the request\'s: no failover', async () => {
    bedrock.enqueue({ status: 400, error: { type: 'ValidationException', message: 'messages.0.content: too many documents' } });
    const error = await ask(`br:${MODEL} | st:stub`);
    expect(error).to.be.instanceOf(OpenAI.BadRequestError);
    expect(bedrock.requests).to.have.length(1);
  });
});
