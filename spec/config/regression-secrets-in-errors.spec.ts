import { expect } from 'chai';
import { maskedUrl, secretPath } from '../../lib/config/keyword-helpers.js';
import { configIssues } from '../helpers/config.js';

/**
 * Found by the attack-surface probe: a config error printed the value it was about, secrets
 * included (docs/configuration.md: "Secrets never appear in logs or error messages"): a Redis
 * URL's password, a base URL's user-info or query key, an API key or shared secret written as a
 * bare number. The same message is the terminal's, the reload's 422, the config status and the log.
 */
describe('config regression: an error names a secret by its kind, never its value', () => {
  it('a secret of the wrong type is "a number" or "text of N characters"', () => {
    const issues = configIssues([
      'backends: [{ id: a, kind: localstub }]',
      'auth: { api_keys: [{ id: k, key: 123456789012345678 }] }',
      'diagnostics: { enabled: true, shared_secret: 1234567890123 }',
      'continuity: { resume_token_key: 99887766554433221100 }',
    ].join('\n'));
    expect(issues).to.deep.equal([
      'auth.api_keys[0].key: must be a string (got a number)',
      'diagnostics.shared_secret: must be a string (got a number)',
      'continuity.resume_token_key: must be a string (got a number)',
    ]);
  });

  it("a URL's user-info and query values are masked", () => {
    const issues = configIssues([
      'redis: { url: "redis://:REDISPASSWORD@127.0.0.1:6379 /0" }',
      'backends:',
      '  - { id: a, kind: openai-chat, base_url: "ftp://user:URLPASSWORD@127.0.0.1:1", api_key: x }',
      '  - { id: b, kind: openai-chat, base_url: "http://127.0.0.1:1/?api_key=QUERYSECRET x&v=2#f", api_key: x }',
    ].join('\n'));
    expect(issues.join('\n')).to.not.match(/REDISPASSWORD|URLPASSWORD|QUERYSECRET|user:/);
    expect(issues).to.deep.equal([
      'redis.url: must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379: it contains white space (got "redis://***@127.0.0.1:6379 /0")',
      'backends[0].base_url: must be an http:// or https:// URL such as https://api.example.com/v1: the scheme is ftp (got "ftp://***@127.0.0.1:1")',
      'backends[1].base_url: must be an http:// or https:// URL such as https://api.example.com/v1: it contains white space (got "http://127.0.0.1:1/?api_key=***&v=***#f")',
    ]);
  });

  it('a URL the parser refuses, one without a scheme, and a URL checked by a pattern are masked too', () => {
    const issues = configIssues([
      'redis: { url: "redis://:SLASH/PASS+gh==@10.0.0.1:6379" }',
      'backends:',
      '  - { id: a, kind: openai-chat, base_url: "https://:HASH#PASS@127.0.0.1:1", api_key: x }',
      '  - { id: b, kind: openai-chat, base_url: ":NOSCHEME@127.0.0.1:1", api_key: x }',
      '  - { id: c, kind: openai-chat, base_url: "https://127.0.0.1:1/v1?BAREKEY x", api_key: x }',
      'access:',
      '  geoip:',
      '    database: { source: managed, url: "https://ACCOUNT:LICENSE@download.maxmind.com/x?license_key=LICENSE &suffix=tar.gz" }',
    ].join('\n'));
    expect(issues.join('\n')).to.not.match(/SLASH|HASH|PASS|NOSCHEME|BAREKEY|ACCOUNT|LICENSE/);
    expect(issues).to.include('access.geoip.database.url: must be an http(s) URL (it may hold {YYYY} and {MM}) (got "https://***@download.maxmind.com/x?license_key=***&suffix=***")');
    expect(issues).to.include('redis.url: must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379: it is not a valid URL (got "redis://***@10.0.0.1:6379")');
  });

  it("an acp row's env values and redact_substrings are secrets", () => {
    const issues = configIssues([
      'backends: [{ id: a, kind: acp, command: x, env: { OPENAI_API_KEY: 123456789 } }]',
      'recording: { redact_substrings: [987654321] }',
    ].join('\n'));
    expect(issues).to.deep.equal([
      'backends[0].env.OPENAI_API_KEY: must be a string (got a number)',
      'recording.redact_substrings[0]: must be a string (got a number)',
    ]);
  });

  it('maskedUrl: everything up to the last "@" (a password may hold / ? #), every query item; nothing else', () => {
    expect(maskedUrl('https://TOKEN@host/v1?k=v&flag&x=1;y#frag?z=2')).to.equal('https://***@host/v1?k=***&***&x=***#frag?z=2');
    expect(maskedUrl('redis://user:pa/ss?x#y@host:6379/0')).to.equal('redis://***@host:6379/0');
    expect(maskedUrl('user:secret@host:6379')).to.equal('***@host:6379');
    expect(maskedUrl('https://host/v1?sk-abcdef')).to.equal('https://host/v1?***');
    expect(maskedUrl('https://host:8080/v1')).to.equal('https://host:8080/v1');
    expect(maskedUrl('not a url at all')).to.equal('not a url at all');
  });

  it('secretPath: the keys of secrets, list indices aside, and header values', () => {
    const secret = [['auth', 'api_keys', 0, 'key'], ['backends', 1, 'api_key'], ['backends', 1, 'api_keys', 2], ['diagnostics', 'shared_secret'],
      ['continuity', 'resume_token_key'], ['backends', 0, 'secret_access_key'], ['backends', 0, 'session_token'], ['backends', 0, 'headers', 'Authorization'], ['x', 'password'],
      ['backends', 0, 'env', 'OPENAI_API_KEY'], ['recording', 'redact_substrings', 0]];
    const plain = [['auth', 'api_keys', 0, 'id'], ['backends', 0, 'api_key_env'], ['diagnostics', 'shared_secret_env'], ['backends', 0, 'headers'], ['server', 'port'], ['backends', 0, 'max_tokens'], []];
    expect(secret.filter((p) => !secretPath(p))).to.deep.equal([]);
    expect(plain.filter((p) => secretPath(p))).to.deep.equal([]);
  });
});
