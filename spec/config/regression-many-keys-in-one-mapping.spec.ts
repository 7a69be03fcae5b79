import { expect } from 'chai';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';
import { ConfigError, formatIssue, parseConfig } from '../../lib/config/index.js';

/** The ConfigError `text` is refused with. */
function refusal(text: string, file = 'many.yaml'): ConfigError {
  try {
    parseConfig(text, file, { ...LOAD_OPTIONS, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

const KEYS = 50_000;
const STUB = 'backends: [{ id: s, kind: localstub, models: [m] }]\n';

/**
 * Found by probing the command line: reading a config took time quadratic in the keys of one
 * mapping (10,000 keys under `server:` took 11 s, and a SIGHUP reload of it froze the server for
 * 8.6 s; 150,000 keys, still under the 2 MiB limit, took over 10 minutes): the yaml library's
 * check of repeated keys compares each key with every earlier one, each repeat was looked up in
 * the list of repeats, dropped with indexOf + splice, and each problem located by a linear search
 * of its mapping. Each of these is now one pass, and the message lists the first 100 problems.
 * No time bound here (a loaded machine is slow); the sizes alone took minutes before.
 */
describe('config regression: a mapping of 50,000 keys is read in linear time', function () {
  this.timeout(300_000);

  it('50,000 unknown keys under server: every one counted, the first 100 listed', () => {
    const text = `${STUB}server:\n${Array.from({ length: KEYS }, (_, i) => `  k${i}: 1\n`).join('')}`;
    const err = refusal(text);
    expect(err.issues).to.have.length(KEYS);
    expect(formatIssue(err.issues[0]!)).to.match(/^many\.yaml:3:3: server\.k0: unknown key "k0"/);
    expect(formatIssue(err.issues[KEYS - 1]!)).to.match(new RegExp(`^many\\.yaml:${KEYS + 2}:3: server\\.k${KEYS - 1}: unknown key "k${KEYS - 1}"`));
    const lines = err.message.split('\n');
    expect(lines).to.have.length(101);
    expect(lines.slice(0, 100)).to.deep.equal(err.issues.slice(0, 100).map(formatIssue));
    expect(lines[100]).to.equal(`… and ${KEYS - 100} more problems`);
  });

  it('50,000 repeats of one key: each named with where the key was first given, the first value read', () => {
    const text = `${STUB}server:\n${Array.from({ length: KEYS }, (_, i) => `  port: ${i}\n`).join('')}  prot: 1\n`;
    const err = refusal(text);
    expect(err.issues).to.have.length(KEYS);
    expect(formatIssue(err.issues[0]!)).to.equal('many.yaml:4:3: server.port: duplicate key "port" (first at 3:3)');
    expect(formatIssue(err.issues[KEYS - 2]!)).to.equal(`many.yaml:${KEYS + 2}:3: server.port: duplicate key "port" (first at 3:3)`);
    // The first value is read on: the file's other problems are reported with the repeats.
    expect(formatIssue(err.issues[KEYS - 1]!)).to.equal(`many.yaml:${KEYS + 3}:3: server.prot: unknown key "prot" (did you mean "port"?)`);
    expect(err.message.split('\n').slice(99)).to.deep.equal([formatIssue(err.issues[99]!), `… and ${KEYS - 100} more problems`]);
  });

  it('a file of few problems still lists them all', () => {
    const err = refusal(`${STUB}server:\n  port: 1\n  port: 2\n`);
    expect(err.message).to.equal('many.yaml:4:3: server.port: duplicate key "port" (first at 3:3)');
  });
});
