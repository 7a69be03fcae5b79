import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor, replaceUnescaped } from '../../lib/replay/redact.js';
import { RECORDING_COUNTS, RecordingWriter } from '../../lib/replay/recording-writer.js';
import { mountTmpfs, sh } from '../helpers/file-faults.js';

describe('RecordingWriter', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-writer-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates by size and keeps at most max_files files, newest lines in the current one', async () => {
    const path = join(dir, 'rec.jsonl');
    const writer = new RecordingWriter({ path, maxFileBytes: 100, maxFiles: 3, queueSize: 100 });
    for (let i = 0; i < 20; i++) {
      writer.push(JSON.stringify({ n: i, pad: 'x'.repeat(30) })); // 49 bytes with the newline: two per file
      await writer.flush();
    }
    await writer.close();
    expect(readdirSync(dir).sort()).to.deep.equal(['rec.jsonl', 'rec.jsonl.1', 'rec.jsonl.2']);
    const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    expect(lines('rec.jsonl')).to.deep.equal([18, 19]);
    expect(lines('rec.jsonl.1')).to.deep.equal([16, 17]);
    expect(lines('rec.jsonl.2')).to.deep.equal([14, 15]);
    for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name)).length).to.be.at.most(100);
  });

  it('rotates by the UTF-8 size of multi-byte lines', async () => {
    const path = join(dir, 'rec.jsonl');
    const writer = new RecordingWriter({ path, maxFileBytes: 100, maxFiles: 2, queueSize: 100 });
    for (let i = 0; i < 4; i++) writer.push(JSON.stringify({ n: i, pad: 'é'.repeat(15) })); // 31 UTF-16 units, 47 bytes with the newline: two per file
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal(`${JSON.stringify({ n: 2, pad: 'é'.repeat(15) })}\n${JSON.stringify({ n: 3, pad: 'é'.repeat(15) })}\n`);
    expect(readFileSync(path).length).to.equal(94);
    expect(readFileSync(`${path}.1`).length).to.equal(94);
  });

  it('writes a batch larger than its buffer, and a line longer than it, intact and in order', async () => {
    const path = join(dir, 'rec.jsonl');
    const writer = new RecordingWriter({ path, maxFileBytes: 1 << 30, maxFiles: 2, queueSize: 1000 });
    const lines = [
      ...Array.from({ length: 300 }, (_, i) => JSON.stringify({ n: i, text: `ü€😀 ${'x'.repeat(5000)}` })),
      JSON.stringify({ long: '€'.repeat(400_000) }), // 1.2 MB in UTF-8, past the 1 MiB buffer
      JSON.stringify({ last: true }),
    ];
    for (const line of lines) writer.push(line);
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal(`${lines.join('\n')}\n`);
  });

  it('drops and counts lines when the queue is full, never waiting', async () => {
    const path = join(dir, 'rec.jsonl');
    const writer = new RecordingWriter({ path, maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 3 });
    const before = RECORDING_COUNTS.dropped;
    const accepted = Array.from({ length: 10 }, (_, i) => writer.push(`{"n":${i}}`));
    expect(accepted).to.deep.equal([true, true, true, false, false, false, false, false, false, false]);
    expect(writer.dropped).to.equal(7);
    expect(RECORDING_COUNTS.dropped - before).to.equal(7);
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal('{"n":0}\n{"n":1}\n{"n":2}\n');
  });

  it('logs a write error once, counts the lost lines and keeps accepting', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const errors: string[] = [];
    const writer = new RecordingWriter({ path: join(blocker, 'rec.jsonl'), maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 10, logger: { error: (m) => errors.push(m) } });
    writer.push('{"a":1}');
    await writer.flush();
    writer.push('{"a":2}');
    await writer.flush();
    expect(writer.writeErrors).to.equal(2);
    expect(errors).to.have.length(1);
    expect(writer.push('{"a":3}')).to.equal(true);
    await writer.close();
  });

  it('fails a path under /proc with its error instead of wedging (a recursive mkdir there never returns)', async () => {
    const errors: string[] = [];
    const writer = new RecordingWriter({ path: '/proc/lip-spec/x/rec.jsonl', maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 10, logger: { error: (_m, meta) => errors.push(String(meta?.error)) } });
    writer.push('{"a":1}');
    await writer.flush();
    expect(writer.writeErrors).to.equal(1);
    expect(errors).to.deep.equal(["ENOENT: no such file or directory, mkdir '/proc/lip-spec'"]);
    await writer.close();
  });

  it('a file moved or deleted from outside is followed by a new one at the path within a second (checked at most once a second)', async () => {
    const path = join(dir, 'rec.jsonl');
    let now = 0;
    const writer = new RecordingWriter({ path, maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 10, now: () => now });
    const write = async (line: string) => {
      writer.push(line);
      await writer.flush();
    };
    await write('{"n":1}');
    renameSync(path, join(dir, 'rotated-by-logrotate'));
    now = 400; // within the second: still the open file, now under its new name
    await write('{"n":2}');
    now = 1_400;
    await write('{"n":3}');
    expect(readFileSync(join(dir, 'rotated-by-logrotate'), 'utf8')).to.equal('{"n":1}\n{"n":2}\n');
    expect(readFileSync(path, 'utf8')).to.equal('{"n":3}\n');
    // Deleted: a new file, its size counted from zero for rotation.
    rmSync(path);
    now = 2_500;
    await write('{"n":4}');
    now = 2_600;
    await write('{"n":5}');
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal('{"n":4}\n{"n":5}\n');
    expect(readdirSync(dir).sort()).to.deep.equal(['rec.jsonl', 'rotated-by-logrotate']);
  });

  it('removes a cut last line (a crash, a disk that filled mid-write) before appending, so no bad line ends up mid-file', async () => {
    const path = join(dir, 'rec.jsonl');
    const logged: unknown[] = [];
    // A whole line, then one cut short; a cut line longer than the 64 KiB read back at a time; a file that is all one cut line.
    for (const [before, cut] of [['{"n":1}\n', '{"n":2,"pad":"'], ['{"n":1}\n', `{"n":2,"pad":"${'x'.repeat(200_000)}`], ['', '{"n":2']] as const) {
      writeFileSync(path, before + cut);
      const writer = new RecordingWriter({ path, maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 10, logger: { error: (message, meta) => logged.push({ message, meta }) } });
      writer.push('{"n":3}');
      await writer.close();
      expect(readFileSync(path, 'utf8')).to.equal(`${before}{"n":3}\n`);
      expect(logged.pop()).to.deep.include({ meta: { path, bytes: Buffer.byteLength(cut) } });
    }
    // A whole file is left as it is.
    writeFileSync(path, '{"n":1}\n');
    const writer = new RecordingWriter({ path, maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 10, logger: { error: (message) => logged.push(message) } });
    writer.push('{"n":2}');
    await writer.close();
    expect(readFileSync(path, 'utf8')).to.equal('{"n":1}\n{"n":2}\n');
    expect(logged).to.deep.equal([]);
  });

  it('a disk that fills mid-batch (a 64 KiB tmpfs where mount is allowed, else the cut line and the failure it leaves): whole lines again once there is room', async () => {
    const small = join(dir, 'small');
    mkdirSync(small);
    const real = mountTmpfs(small, '64k');
    try {
      const path = join(small, 'rec.jsonl');
      const said: string[] = [];
      let now = 0;
      const writer = new RecordingWriter({ path, maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 1_000, now: () => now, logger: { error: (m) => said.push(m), warn: (m) => said.push(m) } });
      const line = (n: number) => JSON.stringify({ n, pad: 'y'.repeat(1_000) });
      let pushed = 0;
      const push = (n: number) => {
        pushed++;
        writer.push(line(n));
      };
      if (real) {
        writeFileSync(join(small, 'filler'), Buffer.alloc(40 * 1_024));
        for (let n = 0; n < 60; n++) push(n); // about 60 KiB for the 24 KiB left: the write stops mid-line
        await writer.flush();
        expect(readFileSync(path).at(-1), 'the disk filled mid-line').not.to.equal(0x0a);
        rmSync(join(small, 'filler'));
      } else {
        // What the full disk leaves: whole lines, then one cut short; and a write that failed (here: the directory is gone meanwhile).
        for (let n = 0; n < 20; n++) push(n);
        await writer.flush();
        writeFileSync(path, `${readFileSync(path, 'utf8')}${line(20).slice(0, 300)}`);
        const kept = readFileSync(path);
        rmSync(small, { recursive: true });
        writeFileSync(small, 'x');
        now = 5_000; // the writer looks at its path again
        for (let n = 21; n < 60; n++) push(n);
        await writer.flush();
        rmSync(small);
        mkdirSync(small);
        writeFileSync(path, kept);
      }
      for (let n = 60; n < 63; n++) push(n);
      await writer.close();
      const lines = readFileSync(path, 'utf8').split('\n');
      expect(lines.pop(), 'the file ends with a newline').to.equal('');
      const numbers = lines.map((l) => (JSON.parse(l) as { n: number }).n);
      expect(numbers.slice(-3)).to.deep.equal([60, 61, 62]);
      expect(numbers.slice(0, -3)).to.deep.equal(numbers.slice(0, -3).map((_, i) => i));
      expect(writer.written + writer.writeErrors).to.equal(pushed);
      expect(writer.written).to.equal(lines.length);
      // The cut line is the outage's own (among the lines it lost): removed quietly.
      expect(said).to.deep.equal([
        'recording write failed; exchanges are lost until it works again (logged once until then)',
        'recording writes work again',
      ]);
    } finally {
      if (real) sh('umount', [small]);
    }
  });

  it('counts the lines of a batch written before a failure in it as written, only the rest as lost', async () => {
    const path = join(dir, 'rec.jsonl');
    // The rotation the second line needs fails: what it would remove is a directory that is not empty.
    mkdirSync(`${path}.1`);
    writeFileSync(join(`${path}.1`, 'keep'), 'x');
    const errors: string[] = [];
    const writer = new RecordingWriter({ path, maxFileBytes: 100, maxFiles: 2, queueSize: 10, logger: { error: (m) => errors.push(m) } });
    for (let i = 0; i < 3; i++) writer.push(JSON.stringify({ n: i, pad: 'x'.repeat(40) })); // 60 bytes each: one per file
    await writer.flush();
    expect([writer.written, writer.writeErrors, errors.length]).to.deep.equal([1, 2, 1]);
    expect(readFileSync(path, 'utf8')).to.equal(`${JSON.stringify({ n: 0, pad: 'x'.repeat(40) })}\n`);
    await writer.close();
  });

  it('works again once the path is writable, says so once, and logs the next outage again', async () => {
    const sub = join(dir, 'later');
    writeFileSync(sub, 'x');
    const said: string[] = [];
    let now = 0;
    const writer = new RecordingWriter({
      path: join(sub, 'rec.jsonl'), maxFileBytes: 1 << 20, maxFiles: 2, queueSize: 10, now: () => now,
      logger: { error: (m) => said.push(`error: ${m}`), warn: (m, meta) => said.push(`warn: ${m} ${JSON.stringify(meta)}`) },
    });
    const write = async (line: string) => {
      writer.push(line);
      await writer.flush();
    };
    await write('{"a":1}');
    await write('{"a":1.5}');
    rmSync(sub);
    mkdirSync(sub);
    await write('{"a":2}');
    await write('{"a":3}');
    expect(readFileSync(join(sub, 'rec.jsonl'), 'utf8')).to.equal('{"a":2}\n{"a":3}\n');
    // A second outage: the directory goes away again (noticed at the next check of the path).
    rmSync(sub, { recursive: true });
    writeFileSync(sub, 'x');
    now = 5_000;
    await write('{"a":4}');
    await writer.close();
    expect(said).to.deep.equal([
      'error: recording write failed; exchanges are lost until it works again (logged once until then)',
      `warn: recording writes work again {"path":"${join(sub, 'rec.jsonl')}","lost":2}`,
      'error: recording write failed; exchanges are lost until it works again (logged once until then)',
    ]);
  });
});

describe('Redactor', () => {
  it('always redacts the credential headers, plus configured ones, case-insensitively', () => {
    const r = new Redactor(['X-Team'], []);
    expect(r.headersOf({ Authorization: 'Bearer s', 'x-api-key': 'k', 'X-Goog-Api-Key': 'g', 'api-key': 'a', cookie: 'c', 'x-team': 't', accept: 'json' })).to.deep.equal({
      authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', 'x-goog-api-key': '[REDACTED]', 'api-key': '[REDACTED]', cookie: '[REDACTED]', 'x-team': '[REDACTED]', accept: 'json',
    });
  });

  it('replaces configured substrings anywhere in the line, including ones JSON escapes', () => {
    const r = new Redactor([], ['top "secret"', 'abc']);
    const line = JSON.stringify({ body: { text: 'the top "secret" plan, abcabc' } });
    expect(JSON.parse(r.line(line))).to.deep.equal({ body: { text: 'the [REDACTED] plan, [REDACTED][REDACTED]' } });
  });

  it('leaves a configured substring alone where it would start inside an escape (the JSON stays valid)', () => {
    const r = new Redactor([], ['nSecret', 'u00e9x']);
    // A line break then "Secret" is not "nSecret"; "\\u00e9x" is "éx". A real "nSecret" after an escaped backslash is.
    const line = JSON.stringify({ a: 'line\nSecret', b: 'caf\u0001u00e9x', c: 'dir\\nSecret', d: 'nSecret' });
    const out = r.line(line);
    expect(JSON.parse(out)).to.deep.equal({ a: 'line\nSecret', b: 'caf\u0001[REDACTED]', c: 'dir\\[REDACTED]', d: '[REDACTED]' });
    expect(replaceUnescaped('\\\\x x \\x', 'x', 'y')).to.equal('\\\\y y \\x');
  });

  it('redacts many pieces in one pass exactly as it redacts each alone', () => {
    const r = new Redactor([], ['hunter2']);
    const pieces = [
      JSON.stringify({ text: 'key sk-abcdefghijklmnop and hunter2' }),
      JSON.stringify([[1, { type: 'text_delta', text: 'line one\nline two: token=abc123 ghp_0123456789abcdefghij0123' }]]),
      JSON.stringify({ plain: 'nothing to see', n: 42 }),
      JSON.stringify('Authorization: Bearer abcdefghijklmnop'),
    ];
    const together = r.pieces(pieces);
    expect(together).to.deep.equal(pieces.map((p) => r.line(p)));
    expect(together.join('')).to.not.match(/hunter2|abcdefghijklmnop|abc123|ghp_0123/);
    expect(together.map((p) => JSON.parse(p))).to.have.length(4);
  });

  it('hands back the pieces themselves when nothing in the batch needs redacting', () => {
    const r = new Redactor([], ['hunter2']);
    const pieces = [JSON.stringify({ plain: 'nothing to see', n: 42 }), JSON.stringify([[0, { type: 'text_delta', index: 0, text: 'a\nb' }]]), '"ok"'];
    const out = r.pieces(pieces);
    expect(out).to.equal(pieces);
    expect(r.pieces([...pieces, '"hunter2"'])).to.deep.equal([...pieces, '"[REDACTED]"']);
  });

  it('falls back to redacting pieces one by one when a match would join two of them', () => {
    const r = new Redactor([], []);
    // A private key that begins in one piece and ends in the next: one pass would eat the newline between them.
    const pieces = ['"-----BEGIN RSA PRIVATE KEY-----abc', 'def-----END RSA PRIVATE KEY-----"', '"ok"'];
    expect(r.pieces(pieces)).to.deep.equal(pieces.map((p) => r.line(p)));
  });

  it('leaves bodies alone with raw (privileged) but still redacts headers and credential query parameters', () => {
    const r = new Redactor([], ['ACME', 'q"uote'], true);
    expect(r.line('{"t":"ACME"}')).to.equal('{"t":"ACME"}');
    expect(r.headersOf({ authorization: 'x' })).to.deep.equal({ authorization: '[REDACTED]' });
    // Header values: configured substrings (quotes and all) and credential shapes, as a line would have them.
    const headers = { 'x-note': 'ACME and q"uote', 'x-auth': 'Bearer abcdefgh12345678', 'x-list': ['a', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'], accept: 'json' };
    expect(r.headersOf(headers)).to.deep.equal({ 'x-note': '[REDACTED] and [REDACTED]', 'x-auth': 'Bearer ***', 'x-list': 'a, ***', accept: 'json' });
    const plain = { accept: 'json', 'content-type': 'application/json' };
    expect(r.headersOf(plain)).to.deep.equal(plain);
    expect(r.path('/v1beta/models/m:generateContent?alt=sse&key=AIza123')).to.equal('/v1beta/models/m:generateContent?alt=sse&key=[REDACTED]');
  });
});
