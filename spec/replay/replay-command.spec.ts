import { expect } from 'chai';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { replayCommand } from '../../lib/cli/commands/replay.js';
import { main } from '../../lib/cli/main.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { CORPUS_DIR } from './corpus/record-corpus.js';

const CORPUS = join(CORPUS_DIR, 'corpus.jsonl');
const CONFIG = join(CORPUS_DIR, 'lip.yaml');
const LINES = readFileSync(CORPUS, 'utf8').trim().split('\n');

async function lip(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, {});
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('lip replay', function () {
  this.timeout(30_000);
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-replay-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with a line per exchange and the summary table when every exchange is the same', async () => {
    const r = await lip('replay', CORPUS, '--config', CONFIG);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`\\[${LINES.length}/${LINES.length}\\] same`));
    expect(r.stdout).to.match(new RegExp(`same\\s+${LINES.length}\\n\\s+route-changed\\s+0`));
  });

  it('--json prints the report; --id picks exchanges; --report writes it to a file', async () => {
    const first = JSON.parse(LINES[0]!) as { id: string };
    const third = JSON.parse(LINES[2]!) as { request_id: string };
    const reportPath = join(dir, 'report.json');
    const r = await lip('replay', CORPUS, '--config', CONFIG, '--json', '--id', first.id, '--id', third.request_id, '--report', reportPath, '--concurrency', '2');
    expect(r.code).to.equal(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.summary).to.deep.include({ total: 2, same: 2 });
    expect(report.exchanges.map((e) => e.id)).to.include(first.id);
    expect(JSON.parse(readFileSync(reportPath, 'utf8'))).to.deep.equal(report);
    // An id that no exchange has is a usage error (it would replay nothing and report success).
    const typo = await lip('replay', CORPUS, '--config', CONFIG, '--id', first.id, '--id', 'rec_typo');
    expect(typo.code).to.equal(2);
    expect(typo.stdout).to.equal('');
    expect(typo.stderr).to.contain(`lip replay: no exchange in ${CORPUS} has the id "rec_typo" (--id takes a record id or a request id)`);
  });

  // CONTRACT.md section 2 lists `lip replay FILE [--filter EXPR]`; it was an unknown argument.
  it('--filter replays only the exchanges every expression matches, with --id too; matching none is exit 2', async () => {
    const records = LINES.map((l) => JSON.parse(l) as { id: string; frontend: string; attempts: { outcome: string }[] });
    const gemini = records.filter((r) => r.frontend === 'gemini').map((r) => r.id);
    const one = await lip('replay', CORPUS, '--config', CONFIG, '--json', '--filter', 'frontend=gemini');
    expect(one.code, one.stderr).to.equal(0);
    expect((JSON.parse(one.stdout) as ReplayReport).exchanges.map((e) => e.id)).to.deep.equal(gemini);
    const retried = records.filter((r) => r.frontend !== 'gemini' && r.attempts.some((a) => a.outcome === 'failure')).map((r) => r.id);
    const two = await lip('replay', '--filter=frontend!=gemini', CORPUS, '--filter', 'outcome=failure', '--config', CONFIG, '--json');
    expect(two.code, two.stderr).to.equal(0);
    expect((JSON.parse(two.stdout) as ReplayReport).exchanges.map((e) => e.id)).to.deep.equal(retried).and.have.length.greaterThan(1);
    const withId = await lip('replay', CORPUS, '--config', CONFIG, '--json', '--filter', 'outcome=failure', '--id', retried[0]!, '--id', gemini[0]!);
    expect(withId.code, withId.stderr).to.equal(0);
    expect((JSON.parse(withId.stdout) as ReplayReport).exchanges.map((e) => e.id)).to.deep.equal([retried[0]]);
    // A filter that keeps nothing would replay nothing and report success: exit 2, as an unknown --id is.
    for (const argv of [['--filter', 'status>=500'], ['--filter', 'frontend=gemini', '--id', retried[0]!]]) {
      const none = await lip('replay', CORPUS, '--config', CONFIG, ...argv);
      expect([none.code, none.stdout], argv.join(' ')).to.deep.equal([2, '']);
      expect(none.stderr, argv.join(' ')).to.contain('lip replay: no exchange matched --filter');
    }
  });

  it('--filter: an unknown field, a malformed or empty expression is exit 2 naming the fields, before anything is read', async () => {
    for (const [expression, message] of [
      ['fronted=gemini', 'unknown field "fronted"; did you mean "frontend"? (fields: id, request_id, frontend, path, principal, session_id, selector, model, status, backend, outcome)'],
      ['gemini', 'is not FIELD=GLOB, FIELD!=GLOB or status>=N'],
      ['backend>2', 'only status compares as a number'],
      ['', '--filter needs a value'],
    ] as const) {
      const r = await lip('replay', join(dir, 'never-read.jsonl'), '--config', CONFIG, '--filter', expression);
      expect([r.code, r.stdout], expression).to.deep.equal([2, '']);
      expect(r.stderr, expression).to.contain(message);
      expect(r.stderr, expression).to.not.contain('cannot read');
    }
  });

  // Found by probing the command line: `array: true` made --id take the file names after it as ids too.
  it('--id works before the file names, one or repeated', async () => {
    const first = JSON.parse(LINES[0]!) as { id: string };
    const third = JSON.parse(LINES[2]!) as { request_id: string };
    const one = await lip('replay', '--id', first.id, CORPUS, '--config', CONFIG, '--json');
    expect(one.code, one.stderr).to.equal(0);
    expect((JSON.parse(one.stdout) as ReplayReport).summary).to.deep.include({ total: 1, same: 1 });
    const two = await lip('replay', `--id=${first.id}`, '--id', third.request_id, CORPUS, '--config', CONFIG, '--json');
    expect(two.code, two.stderr).to.equal(0);
    expect((JSON.parse(two.stdout) as ReplayReport).summary).to.deep.include({ total: 2, same: 2 });
  });

  // Found by probing: any bad last line was taken for a crash's cut line, so a file holding no recording replayed nothing and exited 0.
  it('a whole JSON line that is not a record is exit 2, last line or not (no crash writes one)', async () => {
    const r = await lip('replay', file('not-a-recording.jsonl', '{"x":1}\n'), '--config', CONFIG);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('not-a-recording.jsonl:1: not a recording line');
    const after = await lip('replay', file('bad-last.jsonl', `${LINES.join('\n')}\n{"v":1}\n`), '--config', CONFIG);
    expect(after.code).to.equal(2);
    expect(after.stderr).to.contain(`bad-last.jsonl:${LINES.length + 1}: not a recording line`);
  });

  it('reports a truncated last line with its number, skips it and replays the rest', async () => {
    const path = file('crashed.jsonl', `${LINES.join('\n')}\n${LINES[0]!.slice(0, 80)}`);
    const r = await lip('replay', path, '--config', CONFIG);
    expect(r.code).to.equal(0);
    expect(r.stderr).to.contain(`crashed.jsonl:${LINES.length + 1}: skipped a truncated last line`);
    expect(r.stdout).to.match(new RegExp(`total\\s+${LINES.length}\\b`));
    // The summary table's columns line up: every row, the header's too, ends where "count" does.
    const table = r.stdout.slice(r.stdout.lastIndexOf('  state ')).trimEnd().split('\n');
    expect(table.map((l) => l.split(/\s+/).filter(Boolean)[0])).to.deep.equal(['state', 'same', 'route-changed', 'output-changed', 'error', 'unrecorded', 'total']);
    expect(new Set(table.map((l) => l.length))).to.deep.equal(new Set([table[0]!.length]));
  });

  it('reads a gzip-compressed recording (a rotated file logrotate packed) by its first bytes, whatever its name; a cut archive is exit 2', async () => {
    const packed = gzipSync(readFileSync(CORPUS));
    for (const name of ['traffic.jsonl.1.gz', 'traffic.jsonl.2']) {
      writeFileSync(join(dir, name), packed);
      const r = await lip('replay', join(dir, name), '--config', CONFIG, '--json');
      expect(r.code, `${name}: ${r.stderr}`).to.equal(0);
      expect((JSON.parse(r.stdout) as ReplayReport).summary).to.deep.include({ total: LINES.length, same: LINES.length });
    }
    writeFileSync(join(dir, 'cut.gz'), packed.subarray(0, Math.floor(packed.length / 2)));
    const cut = await lip('replay', join(dir, 'cut.gz'), '--config', CONFIG);
    expect(cut.code).to.equal(2);
    expect(cut.stderr).to.contain(`lip replay: cannot read ${join(dir, 'cut.gz')}: unexpected end of file`);
  });

  it('exits 2 naming the line of a bad record in the middle, an unreadable file, or a bad --concurrency', async () => {
    const bad = await lip('replay', file('bad.jsonl', `${LINES[0]}\n{"v":2}\n${LINES[1]}\n`), '--config', CONFIG);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('bad.jsonl:2: not a recording line: unsupported record version 2');
    const missing = await lip('replay', join(dir, 'nope.jsonl'), '--config', CONFIG);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain('cannot read');
    const concurrency = await lip('replay', CORPUS, '--concurrency', '0', '--config', CONFIG);
    expect(concurrency.code).to.equal(2);
    expect(concurrency.stderr).to.contain('--concurrency must be a whole number from 1 to 256 (got "0")');
    const usage = await lip('replay');
    expect(usage.code).to.equal(2);
  });

  it('exits 2 before replaying anything for an option left without its value, or a report that cannot be written', async () => {
    for (const [argv, message] of [
      [['--id'], '--id needs a value'],
      [['--id', '--json'], '--id needs a value'],
      [['--id', ''], '--id needs a value'],
      [['--report'], '--report needs a value'],
      [['--concurrency', 'abc'], '--concurrency must be a whole number from 1 to 256 (got "abc")'],
      [['--concurrency', '2.5'], '--concurrency must be a whole number from 1 to 256 (got "2.5")'],
      [['--report', join(dir, 'no-such-dir', 'report.json')], `cannot write the report ${join(dir, 'no-such-dir', 'report.json')}: ENOENT`],
      [['--report', dir], `cannot write the report ${dir}: it is a directory`],
    ] as const) {
      const r = await lip('replay', CORPUS, '--config', CONFIG, ...argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.stderr, argv.join(' ')).to.contain(message);
      expect(r.stdout, argv.join(' ')).to.not.contain('same'); // nothing was replayed
    }
  });

  // Found by probing the command line: yargs hands a repeated --report as an array, which was
  // dropped (`typeof args.report === 'string'`): no report was written and nothing checked.
  it('takes the last of a repeated --report, and checks that one before replaying anything', async () => {
    const [a, b] = [join(dir, 'repeated-a.json'), join(dir, 'repeated-b.json')];
    const r = await lip('replay', CORPUS, '--config', CONFIG, '--report', a, `--report=${b}`);
    expect(r.code, r.stderr).to.equal(0);
    expect((JSON.parse(readFileSync(b, 'utf8')) as ReplayReport).summary.total).to.equal(LINES.length);
    expect(existsSync(a)).to.equal(false);
    const unwritable = join(dir, 'no-such-dir', 'report.json');
    const refused = await lip('replay', CORPUS, '--config', CONFIG, '--report', a, '--report', unwritable);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain(`cannot write the report ${unwritable}: ENOENT`);
    expect(refused.stdout).to.equal('');
    const empty = await lip('replay', CORPUS, '--config', CONFIG, '--report', a, '--report', '');
    expect([empty.code, empty.stdout]).to.deep.equal([2, '']);
    expect(empty.stderr).to.contain('--report needs a value');
  });

  it('exits 2 before replaying anything when --report names one of the recordings (by its path, another spelling, a link)', async () => {
    const text = `${LINES.join('\n')}\n`;
    const other = file('other-input.jsonl', text);
    const input = file('input.jsonl', text);
    const hard = join(dir, 'input-hard-link.jsonl');
    linkSync(input, hard);
    const soft = join(dir, 'input-symlink.jsonl');
    symlinkSync(input, soft);
    for (const report of [input, join(dir, '.', 'input.jsonl'), hard, soft]) {
      const r = await lip('replay', other, input, '--config', CONFIG, '--report', report);
      expect(r.code, report).to.equal(2);
      expect(r.stderr, report).to.contain(`lip replay: the report ${report} is the recording ${input}: writing it would overwrite the input`);
      expect(r.stdout, report).to.not.contain('same'); // nothing was replayed
      expect(readFileSync(input, 'utf8'), report).to.equal(text);
    }
    // Another file beside them is written as usual.
    const beside = join(dir, 'input-report.json');
    const ok = await lip('replay', input, '--config', CONFIG, '--report', beside);
    expect(ok.code, ok.stderr).to.equal(0);
    expect((JSON.parse(readFileSync(beside, 'utf8')) as ReplayReport).summary.total).to.equal(LINES.length);
    expect(readFileSync(input, 'utf8')).to.equal(text);
  });

  it('checks every file before it replays anything, then replays them in order, a line at a time', async () => {
    const first = file('part1.jsonl', `${LINES.slice(0, 3).join('\n')}\n`);
    const cut = file('part2.jsonl', `${LINES.slice(3, 5).join('\n')}\n${LINES[5]!.slice(0, 50)}`);
    const broken = file('part3.jsonl', `${LINES[6]}\n{"v":1}\n${LINES[7]}\n`);
    const refused = await lip('replay', first, cut, broken, '--config', CONFIG);
    expect(refused.code).to.equal(2);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.contain('part3.jsonl:2: not a recording line');
    const r = await lip('replay', first, cut, '--config', CONFIG, '--json');
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.exchanges.map((e) => e.id)).to.deep.equal(LINES.slice(0, 5).map((l) => (JSON.parse(l) as { id: string }).id));
    expect(report.skipped_lines).to.deep.equal([{ file: cut, line: 3, reason: report.skipped_lines[0]!.reason }]);
  });

  it('exits 2 naming the line and the field of a record whose values have the wrong type (nothing reaches the replay)', async () => {
    const wrong = (edit: (r: any) => void) => {
      const r = JSON.parse(LINES[0]!);
      edit(r);
      return JSON.stringify(r);
    };
    const cases: [string, string][] = [
      [wrong((r) => { r.client.events[1] = null; }), 'client.events[1]: must be array'],
      [wrong((r) => { r.attempts[0].events[2][1] = { type: 'text_delta' }; }), "attempts[0].events[2][1]: must have required property 'text'"],
      [wrong((r) => { r.attempts[0].events[0][1].type = 'confetti'; }), 'attempts[0].events[0][1]: unknown event type "confetti"'],
      [wrong((r) => { r.attempts[0].events[0][0] = -3; }), 'attempts[0].events[0][0]: must be >= 0'],
      [wrong((r) => { r.attempts[0].outcome = 'maybe'; }), 'attempts[0].outcome: must be equal to one of the allowed values ("success", "failure", "cancelled")'],
      [wrong((r) => { r.attempts[0].http_status = 1e9; }), 'attempts[0].http_status: must be <= 599'],
      [wrong((r) => { delete r.client.finished_ms; }), "client: must have required property 'finished_ms'"],
    ];
    for (const [line, reason] of cases) {
      const r = await lip('replay', file('typed.jsonl', `${LINES[1]}\n${line}\n${LINES[2]}\n`), '--config', CONFIG);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain(`typed.jsonl:2: not a recording line: ${reason}`);
    }
    // Nesting no server-written record has (it would overflow whatever walks it) is refused before parsing.
    const deep = LINES[0]!.replace('"events":[', `"events":[${'['.repeat(5000)}${']'.repeat(5000)},`);
    const r = await lip('replay', file('deep.jsonl', `${deep}\n${LINES[1]}\n`), '--config', CONFIG);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/deep\.jsonl:1: not a recording line: nests deeper than 320 levels \(at column \d+\)/);
  });

  it('on a TTY draws a progress bar and lists only the exchanges that are not same', async () => {
    const tty = new PassThrough();
    let drawn = '';
    tty.on('data', (c: Buffer) => { drawn += c.toString('utf8'); });
    const edited = LINES[0]!.replace(/("client":\{.*?"text":")Hello /, '$1Hallo ');
    const out: string[] = [];
    const code = await replayCommand({
      files: [file('tty.jsonl', `${edited}\n${LINES[1]}\n`)], configPath: CONFIG, json: false, ids: [], concurrency: 1, live: false, progress: tty as unknown as NodeJS.WriteStream, terminal: true,
    }, { out: (t) => out.push(t), err: () => undefined });
    expect(code).to.equal(1);
    expect(drawn).to.contain('] 2/2');
    expect(out.filter((l) => l.includes('rec_'))).to.have.length(1);
    expect(out.join('\n')).to.contain('output-changed');
    expect(out.join('\n')).to.not.contain('\x1b'); // the bar's line is cleared on stderr, where it is drawn
  });

  // Found by probing the command line: `lip replay > file` at a terminal wrote "\r\x1b[K" before
  // each line of the file, and only the exchanges that were not same (the terminal's format).
  it('with stdout a file and stderr a terminal: the bar on stderr, a plain line per exchange on stdout', async () => {
    const tty = new PassThrough();
    let drawn = '';
    tty.on('data', (c: Buffer) => { drawn += c.toString('utf8'); });
    const edited = LINES[0]!.replace(/("client":\{.*?"text":")Hello /, '$1Hallo ');
    const out: string[] = [];
    const code = await replayCommand({
      files: [file('tty-file.jsonl', `${edited}\n${LINES[1]}\n`)], configPath: CONFIG, json: false, ids: [], concurrency: 1, live: false, progress: tty as unknown as NodeJS.WriteStream, terminal: false,
    }, { out: (t) => out.push(t), err: () => undefined });
    expect(code).to.equal(1);
    expect(drawn).to.contain('] 2/2');
    expect(out.join('\n')).to.not.match(/[\r\x1b]/);
    expect(out.filter((l) => /^\[\d\/2\] (same|output-changed) +rec_/.test(l))).to.have.length(2);
  });

  it('exits 1 and shows the first differing client event with a field diff when the output changed', async () => {
    // The recording says the client saw "Hallo "; today's pipeline makes "Hello " of the same upstream events.
    const edited = LINES[0]!.replace(/("client":\{.*?"text":")Hello /, '$1Hallo ');
    expect(edited).not.to.equal(LINES[0]);
    const r = await lip('replay', file('changed.jsonl', `${edited}\n`), '--config', CONFIG);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/output-changed\s+rec_/);
    expect(r.stdout).to.match(/first differing client event: #\d+\n\s+text: "Hallo " -> "Hello "/);
  });

  it('what-if: a changed selector under --config is reported as route-changed (served then and now)', async () => {
    const failover = LINES.find((l) => l.includes('"corpus-failover"'))!;
    const whatIf = file('what-if.yaml', readFileSync(CONFIG, 'utf8').replace('"up:busy|up:fast"', '"up:busy"'));
    const r = await lip('replay', file('failover.jsonl', `${failover}\n`), '--config', whatIf);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.contain('route-changed');
    expect(r.stdout).to.contain('served: up:fast -> (none)');
    expect(r.stdout).to.contain('code: (absent) -> "LIP_ERR_ROUTE_OVERLOADED"');
  });
});
