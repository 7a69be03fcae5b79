import { expect } from 'chai';
import type { CircuitRow } from '../../lib/circuit/index.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Regression: an embeddings upstream that took the request and never answered was never failed
 * over and its circuit never counted it, with the default timeouts. The only bound of a call was
 * `http_client.headers_timeout` (60 s), equal to `routing.embeddings_timeout` (60 s), which starts
 * earlier and so always fired first: the expiry was taken for a cancel (no verdict for the
 * circuit) and the request ended with a 504 without trying the next candidate.
 *
 * Now each attempt has its own bound, an equal share of what is left of the request's deadline
 * among the candidates still to try: its expiry is a retryable failure (the circuit counts it,
 * the next candidate is tried), and the deadline itself still ends the request (504) during the
 * last one. The timeouts here are as the defaults are (equal), only shorter; the assertions are on
 * what happened (who was called, who served, the circuits), not on elapsed time.
 */
describe('regression: a hung embeddings upstream is failed over and its circuit counts it', function () {
  this.timeout(20_000);
  let hung: Emulator;
  let spare: Emulator;
  let lip: RunningLip;
  const embed = (route: string) => fetch(`${lip.url}/v1/embeddings`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-lip-route': route },
    body: JSON.stringify({ model: 'text-embedding-3-small', input: ['a'] }),
  });
  const circuit = async (key: string): Promise<CircuitRow | undefined> =>
    ((await (await fetch(`${lip.url}/admin/circuits`)).json()) as { circuits: CircuitRow[] }).circuits.find((r) => r.key === key);
  before(async () => {
    [hung, spare] = await Promise.all([startOpenAIChatEmulator(), startOpenAIChatEmulator()]);
    lip = await startLip(testConfig([
      `  - { id: a, kind: openai-chat, base_url: "${hung.url}", api_key: a-key-0123456789 }`,
      `  - { id: b, kind: openai-chat, base_url: "${spare.url}", api_key: b-key-0123456789 }`,
    ].join('\n'), [
      'http_client: { headers_timeout: 2s }',
      'routing: { default_route: "b:m", embeddings_timeout: 2s, circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 10m } }',
      'diagnostics: { enabled: true }',
    ].join('\n')));
  });
  after(async () => {
    await lip?.close();
    await Promise.all([hung?.close(), spare?.close()]);
  });
  beforeEach(() => {
    hung.reset();
    spare.reset();
    hung.handler = () => ({ fault: { stall: 'before_headers' } });
  });

  it('the stalled first candidate is aborted at its share, counted as a failure (its circuit opens), and the next candidate answers', async () => {
    const aborted = hung.nextClose();
    const res = await embed('a:m|b:m');
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-lip-backend')).to.equal('b:m');
    const body = await res.json() as { data: { embedding: string | number[] }[] };
    expect(body.data).to.have.length(1);
    await aborted;
    expect([hung.requests.length, spare.requests.length]).to.deep.equal([1, 1]);
    expect((await circuit('a:m'))?.state).to.equal('open');
    expect(await circuit('b:m'), 'the candidate that served is clean').to.equal(undefined);
    // Its attempt row says why it was left.
    const aLeg = res.headers.get('x-lip-a-leg-id')!;
    const attempts = ((await (await fetch(`${lip.url}/admin/attempts?a_leg_id=${aLeg}`)).json()) as { attempts: { candidate_key: string; outcome: string; reason: string | null }[] }).attempts;
    expect(attempts.map((a) => [a.candidate_key, a.outcome])).to.deep.equal([['a:m', 'swallowed_failure'], ['b:m', 'success']]);
    expect(attempts[0]!.reason).to.contain('LIP_ERR_EMBEDDINGS_ATTEMPT_TIMEOUT');
    // The open circuit is skipped without a call after that.
    const next = await embed('a:m|b:m');
    expect(next.headers.get('x-lip-backend')).to.equal('b:m');
    expect(hung.requests).to.have.length(1);
  });

  it('when the last candidate hangs too, the request deadline ends the request: a 504 naming it, and only the earlier one is counted', async () => {
    const route = 'a:x|a:y';
    const res = await embed(route);
    expect(res.status).to.equal(504);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).to.equal('LIP_ERR_EMBEDDINGS_TIMEOUT');
    expect(err.error.message).to.contain('a:y');
    expect(hung.requests.map((r) => r.body?.model)).to.deep.equal(['x', 'y']);
    expect((await circuit('a:x'))?.state).to.equal('open');
    // The deadline is the request's, not the candidate's fault: no verdict, as for a selector's global budget.
    expect(await circuit('a:y')).to.equal(undefined);
  });
});
