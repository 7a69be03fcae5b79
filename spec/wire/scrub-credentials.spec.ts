import { expect } from 'chai';
import fc from 'fast-check';
import { CREDENTIAL_PATTERNS, maskPrivateKeys, maskSecretQuery, scrubCredentials } from '../../lib/wire/index.js';
import { sanitizeMessage } from '../../lib/backends/http/index.js';
import { Redactor } from '../../lib/replay/redact.js';

describe('wire/scrub-credentials', () => {
  const cases: [string, string][] = [
    ['db login failed: password=hunter2hunter2 for user x', 'db login failed: password=*** for user x'],
    ['{"password": "p@ss w"}', '{"password": "*** w"}'],
    ['token xoxb-1234567890-abcdefghij leaked', 'token *** leaked'],
    ['see https://hooks.slack.com/services/T000/B000/XXXXXXXX', 'see https://hooks.slack.com/services/***'],
    ['bad token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'bad token ***'],
    ['pat github_pat_11ABCDEFG0123456789_abcdefghijkl', 'pat ***'],
    ['aws AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMI/K7MDENG', 'aws *** aws_secret_access_key=***'],
    ['Incorrect API key provided: sk-proj-abc123456789', 'Incorrect API key provided: sk-***'],
    ['Authorization: Bearer abcdefgh.ijklmnop', 'Authorization: Bearer ***'],
    ['postgres://admin:s3cret@db:5432/x', 'postgres://***@db:5432/x'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_nature', 'jwt ***'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- end', '[PRIVATE KEY] end'],
  ];

  it('masks every credential shape of the shared list', () => {
    for (const [text, expected] of cases) expect(scrubCredentials(text), text).to.equal(expected);
    expect(CREDENTIAL_PATTERNS.every((p) => p.pattern.global)).to.equal(true);
  });

  it('skips a pattern only on text without the literal every match of it contains', () => {
    const gated = CREDENTIAL_PATTERNS.filter((p) => p.requires !== undefined);
    expect(gated.map((p) => p.id)).to.deep.equal(['url_userinfo']);
    const samples = [...cases.map(([text]) => text), 'x HTTPS://u:p@h', 'git+ssh://git:tok@host/repo', 'a.b-c+d://x:y@z'];
    for (const { id, pattern, requires } of gated) {
      for (const text of samples) {
        for (const match of text.matchAll(pattern)) expect(match[0], `${id} on ${text}`).to.contain(requires);
      }
    }
    expect(scrubCredentials('x HTTPS://u:p@h and git+ssh://git:tok@host/repo')).to.equal('x HTTPS://***@h and git+ssh://***@host/repo');
  });

  it('masks a bare value after a JSON key keeping its JSON type: a number as 0; null, true and false hold no secret', () => {
    expect(scrubCredentials('{"password":1234,"passphrase":-12.5e3,"token": null,"api_key":true,"secret":false}')).to.equal('{"password":0,"passphrase":0,"token": null,"api_key":true,"secret":false}');
    expect(scrubCredentials('{"password":"1234"}')).to.equal('{"password":"***"}');
    // A bare word that is no JSON value (text that only looks like JSON) becomes a string.
    expect(scrubCredentials('{"password": hunter22}')).to.equal('{"password": "***"}');
    // Inside a JSON string (escaped quotes) a number is still a number; in plain text the mask stays bare.
    expect(scrubCredentials(JSON.stringify({ body: '{"password": 1234, "token": null}' }))).to.equal('{"body":"{\\"password\\": 0, \\"token\\": null}"}');
    expect(scrubCredentials('password: 1234')).to.equal('password: ***');
    // An object or array after a secret's name is no secret: a tool's schema stays valid JSON, as it was.
    const schema = '{"properties":{"token":{"type":"string"},"api_key":["a"],"password":{}}}';
    expect(scrubCredentials(schema)).to.equal(schema);
  });

  it('masks an MCP server\'s authorization_token (the MCP connector\'s mcp_servers), as a field and inside an escaped body', () => {
    const servers = { mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'docs', authorization_token: 'mcp-tok.0123/456789' }] };
    expect(scrubCredentials(JSON.stringify(servers))).to.equal('{"mcp_servers":[{"type":"url","url":"https://mcp.example.com/sse","name":"docs","authorization_token":"***"}]}');
    const line = JSON.stringify({ body: JSON.stringify(servers) });
    expect(scrubCredentials(line)).to.not.contain('mcp-tok');
    expect(JSON.parse(JSON.parse(scrubCredentials(line)).body as string)).to.have.nested.property('mcp_servers[0].authorization_token', '***');
    expect(scrubCredentials('authorizationToken=abc12345 authorization-token: abc12345')).to.equal('authorizationToken=*** authorization-token: ***');
  });

  it('masks the string value of a JSON key named authorization whatever it looks like (OpenAI\'s MCP tool: the server\'s OAuth token)', () => {
    const tool = { type: 'mcp', server_label: 'w', server_url: 'https://w.example/mcp', authorization: 'OAIAUTH2 x', require_approval: 'never' };
    expect(JSON.parse(scrubCredentials(JSON.stringify({ tools: [tool] })))).to.deep.equal({ tools: [{ ...tool, authorization: '***' }] });
    const line = JSON.stringify({ body_text: `{"tools": [{"type": "mcp", "Authorization" : "OAIAUTH2"}` });
    expect(JSON.parse(scrubCredentials(line))).to.deep.equal({ body_text: '{"tools": [{"type": "mcp", "Authorization" : "***"}' });
    // A redacted header stays as lip wrote it; an object, an empty string and prose are no such value.
    for (const text of ['{"headers":{"authorization":"[REDACTED]"}}', '{"authorization":"***"}', '{"authorization":""}', '{"properties":{"authorization":{"type":"string"}}}', 'authorization: required']) {
      expect(scrubCredentials(text), text).to.equal(text);
    }
  });

  it('leaves ordinary text alone (max_tokens, "tokens", model names)', () => {
    const text = 'max_tokens: 5 exceeds the limit; 12 tokens used by gpt-4o-mini';
    expect(scrubCredentials(text)).to.equal(text);
    // A scheme's name in prose, before a lower-case word: AWS's own message was garbled.
    for (const prose of ['The security token included in the request is invalid.', 'basic settings apply', 'a bearer credential']) expect(scrubCredentials(prose)).to.equal(prose);
    // Written as in a header, or before a value that is no lower-case word, it is still a credential.
    expect(scrubCredentials('Bearer abcdefghijklmnop; bearer abcdef12345678; token xyzwvuts.abc')).to.equal('Bearer ***; bearer ***; token ***');
  });

  it('keeps serialised JSON valid when a value sits in an escaped string', () => {
    const line = JSON.stringify({ body: 'password="abc\\"def" and token=xyz' });
    expect(() => JSON.parse(scrubCredentials(line))).not.to.throw();
    expect(scrubCredentials(line)).not.to.contain('xyz');
  });

  it('keeps a private key inside its JSON string (no JSON eaten between two strings, no escape cut in half)', () => {
    const across = JSON.stringify({ messages: [{ content: 'here: -----BEGIN RSA PRIVATE KEY-----\nMIIE' }, { content: 'ok -----END RSA PRIVATE KEY----- y' }] });
    expect(JSON.parse(scrubCredentials(across))).to.deep.equal({ messages: [{ content: 'here: [PRIVATE KEY]' }, { content: 'ok -----END RSA PRIVATE KEY----- y' }] });
    const escaped = JSON.stringify({ a: '-----BEGIN PRIVATE KEY-----"quoted" and \\ more', b: 'z' });
    expect(JSON.parse(scrubCredentials(escaped))).to.deep.equal({ a: '[PRIVATE KEY]', b: 'z' });
    const whole = JSON.stringify({ key: '-----BEGIN EC PRIVATE KEY-----\nAB"C\n-----END EC PRIVATE KEY-----\nafter' });
    expect(JSON.parse(scrubCredentials(whole))).to.deep.equal({ key: '[PRIVATE KEY]\nafter' });
    // Plain text (a log line, an upstream message) still loses the whole key, across lines.
    expect(scrubCredentials('k=-----BEGIN RSA PRIVATE KEY-----\nMIIE\\x\n-----END RSA PRIVATE KEY----- end')).to.equal('k=[PRIVATE KEY] end');
  });

  it('masks a private key as the regex it replaced did, without its backtracking (generated text)', () => {
    // The former pattern: its body, a unit at a time, kept a backtrack entry per character.
    const former = /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----(?:(?:[^"\\]|\\[\s\S])*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----|(?:[^"\\]|\\[\s\S])*)/g;
    const fragments = ['-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', '-----END', 'PRIVATE KEY-----', '"', '\\', '-', 'a', ' ', '\n'];
    fc.assert(fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 16 }), (parts) => {
      const text = parts.join('');
      expect(maskPrivateKeys(text), JSON.stringify(text)).to.equal(text.replace(former, '[PRIVATE KEY]'));
    }), { numRuns: 20_000 });
  });

  it('masks a private key before millions of characters, in one pass (the regex overflowed the stack)', () => {
    const line = JSON.stringify({ messages: [{ content: `-----BEGIN PRIVATE KEY-----${'a'.repeat(8_400_000)}` }, { content: 'after' }] });
    expect(JSON.parse(scrubCredentials(line))).to.deep.equal({ messages: [{ content: '[PRIVATE KEY]' }, { content: 'after' }] });
    // Many keys, none ended: each is masked to its string's end, the text still read once.
    const many = JSON.stringify(Array.from({ length: 50_000 }, () => '-----BEGIN PRIVATE KEY-----ab\\"c')) + '-----END PRIVATE KEY-----';
    expect(JSON.parse(scrubCredentials(many).slice(0, -'-----END PRIVATE KEY-----'.length))).to.deep.equal(Array.from({ length: 50_000 }, () => '[PRIVATE KEY]'));
  });

  it('leaves serialised JSON valid and of the same shape: only string contents change, and numbers (generated values)', () => {
    const fragments = [
      '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', '-----BEGIN PRIVATE KEY-----', '"', "'", '\\', '\n', '\t', ' ', '=', ':', ',', '}', ']', '{', '[', '&', ';', '*',
      'password', 'api_key', 'token', 'Bearer ', 'sk-', 'hf_', 'AIza', 'AKIA', 'ghp_', 'xoxb-', 'eyJ', '.', 'https://', 'u:p@', '@', 'abcdefghijklmnopqrstuvwx', '0123456789ABCDEF', 'é', '😀',
    ];
    const text = fc.array(fc.constantFrom(...fragments), { maxLength: 12 }).map((parts) => parts.join(''));
    const leaf = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const key = fc.constantFrom('a', 'b', 'c', 'password', 'token', 'authorization');
    // A secret's name may also hold an object or an array (a tool's schema: `"token": {"type": "string"}`).
    const inner = fc.oneof(leaf, fc.array(leaf, { maxLength: 4 }), fc.dictionary(key, leaf, { maxKeys: 4 }));
    const value = fc.array(fc.oneof(inner, fc.dictionary(key, inner, { maxKeys: 4 })), { maxLength: 5 });
    /** The value's arrays and objects, every other value its JSON type: what redaction must not change. */
    const shape = (v: unknown): unknown => (Array.isArray(v) ? v.map(shape) : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => [k, shape(x)]) : v === null ? 'null' : typeof v);
    let changed = 0;
    fc.assert(fc.property(value, (v) => {
      const line = JSON.stringify(v);
      const scrubbed = scrubCredentials(line);
      if (scrubbed !== line) changed++;
      expect(shape(JSON.parse(scrubbed)), scrubbed).to.deep.equal(shape(v));
    }), { numRuns: 2000 });
    expect(changed, 'values with something to mask').to.be.greaterThan(200);
  });

  it('is what upstream error messages to clients and recordings use', () => {
    expect(sanitizeMessage('upstream: password=hunter22 xoxp-1234567890-zzz')).to.equal('upstream: password=*** ***');
    const redactor = new Redactor([], []);
    expect(redactor.line(JSON.stringify({ error: 'key ghp_abcdefghijklmnopqrstuvwxyz0123456789' }))).to.equal('{"error":"key ***"}');
    expect(redactor.path('/v1beta/models/m:generateContent?alt=sse&key=AIzaXYZ')).to.equal('/v1beta/models/m:generateContent?alt=sse&key=[REDACTED]');
  });

  it('masks credential query parameters in raw paths', () => {
    expect(maskSecretQuery('/v1/chat/completions?api_key=abc&x=1&Token=t#f')).to.equal('/v1/chat/completions?api_key=***&x=1&Token=***#f');
    expect(maskSecretQuery('/v1beta/models/m:generateContent?key=AIza123')).to.equal('/v1beta/models/m:generateContent?key=***');
    expect(maskSecretQuery('/plain/path')).to.equal('/plain/path');
    expect(maskSecretQuery('/p?monkey=1&keys=2')).to.equal('/p?monkey=1&keys=2');
  });
});
