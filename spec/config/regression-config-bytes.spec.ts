import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, loadConfigFile, parseConfig } from '../../lib/config/index.js';
import { isLipError } from '../../lib/errors/index.js';

/**
 * Config files lip could not read as they were meant, each of which gave a message that did not
 * say why: a Latin-1 file was decoded with U+FFFD in place of its accented letters (a system
 * prompt's `é` would have reached the model as `�`), a file nested a few hundred levels deep was
 * "Maximum call stack size exceeded", a byte order mark shifted line 1's columns by one, and a
 * number YAML reads as infinite was "got null".
 */
describe('config regression: the bytes and values of a config file are named as they are', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-config-bytes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problemOf = (bytes: Buffer | string, name = 'lip.yaml'): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    try {
      loadConfigFile(path, { ...LOAD_OPTIONS, env: {} });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).message.slice(path.length);
    }
    return 'accepted';
  };
  const stub = 'backends:\n  - { id: stub, kind: localstub }\n';

  it('refuses a file that is not UTF-8, naming the first byte that is not', () => {
    const latin1 = Buffer.concat([Buffer.from(`${stub}routing:\n  default_route: "stub:caf`), Buffer.from([0xe9]), Buffer.from('"\n')]);
    expect(problemOf(latin1)).to.equal(':4:27: the file is not UTF-8: byte 0xE9 at line 4, column 27 (byte 79) is not valid UTF-8 (is it ISO-8859-1 or Windows-1252?); save it as UTF-8');
    expect(problemOf(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(stub, 'utf16le')]))).to.equal(':1:1: the file is not UTF-8: it starts with a UTF-16 byte order mark; save it as UTF-8');
    // The same file in UTF-8 is taken.
    expect(problemOf(`${stub}routing:\n  default_route: "stub:café"\n`)).to.equal('accepted');
  });

  it('counts the columns of line 1 from its first character when the file starts with a byte order mark', () => {
    expect(problemOf(`\ufeffserver: { port: 99999 }\n${stub}`)).to.equal(':1:17: server.port: must be <= 65535 (got 99999)');
  });

  it('says a file nests too deeply instead of naming the stack', () => {
    const flow = `${stub}x: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`;
    // Where the stack runs out depends on how deep the caller already is: only the first line is sure.
    expect(problemOf(flow).split('\n')[0]).to.match(/^:3:\d+: the YAML nests too deeply to be read \(a lip configuration needs a few levels\)$/);
    let block = stub;
    for (let i = 0; i < 1_300; i++) block += `${' '.repeat(i)}k${i}:\n`;
    expect(problemOf(block)).to.match(/: the YAML nests too deeply to be read/);
  });

  // Found by probing the operator side: a config path that is a pipe or a device had no size to
  // check, so a reload read it whole on the serving thread: a FIFO with no writer hung the server,
  // /dev/zero filled memory until the kernel killed it.
  it('reads a pipe at start (bounded), refuses a pipe or a device on reload, and stops reading past 2 MiB', async () => {
    const fifo = join(dir, 'lip.fifo');
    execFileSync('mkfifo', [fifo]);
    const refusal = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        return isLipError(err) ? `${err.code}: ${err.message}` : String(err);
      }
      return 'accepted';
    };
    expect(refusal(() => loadConfigFile(fifo, { ...LOAD_OPTIONS, env: {} }, true))).to.equal(`LIP_ERR_CONFIG_UNREADABLE: cannot read config file ${fifo}: it is not a regular file (a pipe or a device is read only at start)`);
    expect(refusal(() => loadConfigFile('/dev/zero', { ...LOAD_OPTIONS, env: {} }))).to.equal('LIP_ERR_CONFIG_UNREADABLE: cannot read config file /dev/zero: larger than 2097152 bytes');
    // At start a pipe is read as written (`--config <(envsubst < lip.yaml)`).
    const writer = spawn('sh', ['-c', `printf '%s' "$0" > "$1"`, 'backends:\n  - { id: stub, kind: localstub }\n', fifo]);
    const closed = new Promise((resolve) => writer.on('close', resolve));
    expect(refusal(() => loadConfigFile(fifo, { ...LOAD_OPTIONS, env: {} }))).to.equal('accepted');
    await closed;
  });

  it('names infinite numbers, NaN and binary data as such', () => {
    const problem = (yaml: string): string => {
      try {
        parseConfig(`${stub}${yaml}`, 'v.yaml', { ...LOAD_OPTIONS, env: {} });
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(problem('server: { max_request_body_bytes: 1e400 }')).to.equal('v.yaml:3:35: server.max_request_body_bytes: must be a size in bytes or such as 512KiB or 8MiB (got Infinity (a number out of range))');
    expect(problem('server: { shutdown_timeout: -.inf }')).to.equal('v.yaml:3:29: server.shutdown_timeout: must be a duration such as 250ms, 30s or 5m (got -Infinity (a number out of range))');
    expect(problem('server: { port: .nan }')).to.equal('v.yaml:3:17: server.port: must be an integer (got NaN (not a number))');
    expect(problem('server: { port: !!binary aGVsbG8= }')).to.equal('v.yaml:3:26: server.port: must be an integer (got binary data)');
  });
});
