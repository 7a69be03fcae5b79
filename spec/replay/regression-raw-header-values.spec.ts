import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Config } from '../../lib/config/index.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { RecordLines, eventually } from './recording-helpers.js';

const SUBSTRING = 'ACME-INTERNAL';
const TOKEN = 'abcdefgh12345678';

/**
 * Regression: with `recording.raw: true` the request's and the client response's header values
 * were written without `redact_substrings` and without credential-shape scrubbing (only the
 * always-redacted names were replaced), though `raw` leaves only bodies, calls and events
 * unredacted ("headers are still redacted"). Header values now get both under `raw` too; the
 * body stays as the client wrote it, and the record replays as `same`.
 */
describe('regression: header values in a raw recording', function () {
  this.timeout(30_000);
  let oc: Emulator;
  let lip: RunningLip;
  let dir: string;
  let config: Config;
  let lines: RecordLines;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-raw-headers-'));
    const file = join(dir, 'traffic.jsonl');
    oc = await startOpenAIChatEmulator();
    config = testConfig(`  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789 }`,
      `recording: { enabled: true, path: "${file}", raw: true, redact_substrings: ["${SUBSTRING}"] }`);
    lip = await startLip(config);
    lines = new RecordLines(file);
  });
  after(async () => {
    await lip?.close();
    await oc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces configured substrings and masks credential shapes in request and response header values, not in the body', async () => {
    const requestId = `${SUBSTRING}-1`;
    const openai = new OpenAI({
      baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0,
      defaultHeaders: { 'x-request-id': requestId, 'x-team-note': `for ${SUBSTRING} only`, 'x-upstream-auth': `Bearer ${TOKEN}`, 'x-db': 'postgres://app:s3cretpw@db:5432/x' },
    });
    oc.enqueue({ text: 'ok' });
    await openai.chat.completions.create({ model: 'oc:m', messages: [{ role: 'user', content: `about ${SUBSTRING}` }] });

    const record = (await eventually(() => lines.of(requestId), (r) => r.length > 0))[0]!;
    expect(record.request.headers).to.deep.include({
      'x-request-id': '[REDACTED]-1', 'x-team-note': 'for [REDACTED] only', 'x-upstream-auth': 'Bearer ***', 'x-db': 'postgres://***@db:5432/x', authorization: '[REDACTED]',
    });
    expect(record.client.headers['x-request-id']).to.equal('[REDACTED]-1');
    expect(JSON.stringify([record.request.headers, record.client.headers])).to.not.include(SUBSTRING).and.not.include(TOKEN).and.not.include('s3cretpw');
    // raw: the body as the client wrote it.
    expect(JSON.stringify(record.request.body)).to.include(`about ${SUBSTRING}`);
    const result = await replayExchange(record, config);
    expect(result.state, JSON.stringify(result).slice(0, 600)).to.equal('same');
  });
});
