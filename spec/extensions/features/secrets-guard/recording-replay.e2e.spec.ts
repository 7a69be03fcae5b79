import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KINDS } from '../../../backends/kinds.js';
import { TOOLS } from '../../../conformance/scenarios.js';
import { CLIENT_DRIVERS } from '../../../helpers/clients/index.js';
import { configFrom, testConfigYaml } from '../../../helpers/config.js';
import type { Emulator, Script } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { eventually, RecordLines, replayFile } from '../../../replay/recording-helpers.js';

/** A configured detector's match (the recording's own redaction does not know its shape, so only secrets-guard can hide it). */
const SECRET = 'EMP-204861395127';
/** `text` in `n` pieces of about the same length. */
const pieces = (text: string, n: number): string[] => Array.from({ length: n }, (_, i) => text.slice(Math.round((i * text.length) / n), Math.round(((i + 1) * text.length) / n)));

interface Case {
  readonly label: string;
  readonly model: string;
  /** The chat emulator's answer, then the Anthropic emulator's. */
  readonly scripts: readonly [Script, Script?];
  readonly tools?: boolean;
}

/**
 * secrets-guard's traffic redactor holds a stream's text back to redact a credential split
 * across deltas; what it lets out must keep the stream's shape and times, or a recording made
 * with it on does not replay as it was served: the replay plays each attempt's recorded events
 * at their recorded times (TTFT budgets and races decide again on them) and compares the client's
 * events. Streamed exchanges (a secret split across six dripped deltas under a TTFT budget,
 * tool-call arguments, an attempt cut by a reset after the secret, a race) recorded through each
 * client protocol, in mode log and redact, replay as `same` under the same config; and the
 * recording holds the secret nowhere, not even from the attempt that was cut.
 */
describe('e2e: a recording made with secrets-guard on replays as served', function () {
  this.timeout(120_000);
  const cases: readonly Case[] = [
    { label: 'secret across dripped deltas, TTFT budget', model: '[ttft_timeout=600ms]chat:m', scripts: [{ text: pieces(`the id is ${SECRET} ok`, 6), dripMs: 150 }] },
    { label: 'secret in tool-call arguments', model: 'chat:m', scripts: [{ toolCalls: [{ name: 'get_weather', args: pieces(`{"city":"${SECRET}"}`, 6) }] }], tools: true },
    { label: 'no secret', model: 'chat:m', scripts: [{ text: ['plain ', 'text'] }] },
    { label: 'cut by a reset after the secret', model: 'chat:m', scripts: [{ text: [...pieces(`the id is ${SECRET}`, 4), ' and', ' more'], fault: { reset: 6 } }] },
    { label: 'race', model: 'chat:m![handicap=50ms]claude:m', scripts: [{ text: ['slow', 'ly'], dripMs: 400 }, { text: pieces(`fast ${SECRET}`, 3), dripMs: 20 }] },
  ];

  for (const mode of ['log', 'redact']) {
    describe(`mode ${mode}`, () => {
      let dir: string;
      let file: string;
      let yaml: string;
      let lip: RunningLip;
      const emulators: Emulator[] = [];
      before(async () => {
        dir = mkdtempSync(join(tmpdir(), 'lip-sg-replay-'));
        file = join(dir, 'traffic.jsonl');
        const kinds = ['openai-chat', 'anthropic'].map((kind) => KINDS.find((k) => k.kind === kind)!);
        for (const k of kinds) emulators.push(await k.start());
        yaml = testConfigYaml(`${kinds[0]!.row('chat', emulators[0]!)}\n${kinds[1]!.row('claude', emulators[1]!)}`, [
          'routing: { default_route: "chat:m" }',
          `recording: { enabled: true, path: "${file}" }`,
          'features:',
          `  - { id: secrets-guard, config: { mode: ${mode}, patterns: [{ id: employee_id, regex: "EMP-[0-9]{12}" }] } }`,
        ].join('\n'));
        lip = await startLip(configFrom(yaml));
      });
      after(async () => {
        await lip?.close();
        for (const e of emulators.splice(0)) await e.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('every streamed exchange, through every client protocol, replays as same; the secret is recorded nowhere', async () => {
        const lines = new RecordLines(file);
        let n = 0;
        for (const c of cases) {
          for (const frontend of Object.keys(CLIENT_DRIVERS)) {
            for (const e of emulators) e.reset();
            emulators[0]!.enqueue(c.scripts[0]);
            if (c.scripts[1]) emulators[1]!.enqueue(c.scripts[1]);
            const requestId = `sg-replay-${mode}-${++n}`;
            // A cut attempt ends the response with an error: the client's SDK may throw; the record is what counts.
            await CLIENT_DRIVERS[frontend]!.run(lip.url, {
              model: c.model, stream: true, messages: [{ role: 'user', text: 'Hi' }], headers: { 'x-request-id': requestId }, ...(c.tools ? { tools: TOOLS } : {}),
            }).catch(() => undefined);
            const [record] = await eventually(() => lines.of(requestId), (r) => r.length > 0);
            if (c.label.startsWith('cut')) {
              // The text the client got before the reset is in the record, redacted: in the attempt and in the client's events.
              const text = (events: readonly (readonly [number, { type: string; text?: string }])[]) => events.filter(([, e]) => e.type === 'text_delta').map(([, e]) => e.text).join('');
              expect(text(record!.attempts[0]!.events), `${frontend}: the cut attempt`).to.equal('the id is [REDACTED:employee_id] and');
              expect(text(record!.client.events), `${frontend}: the client`).to.equal('the id is [REDACTED:employee_id] and');
            }
          }
        }
        const recorded = readFileSync(file, 'utf8');
        for (const piece of [SECRET, '204861', '395127']) expect(recorded).to.not.contain(piece);
        const { report, stderr } = await replayFile(file, yaml);
        expect(report.summary.total).to.equal(n);
        expect(report.exchanges.filter((e) => e.state !== 'same'), stderr).to.deep.equal([]);
      });
    });
  }
});
