import { expect } from 'chai';
import { ConfigError, formatIssue, parseConfig } from '../../lib/config/index.js';
import { LOAD_OPTIONS } from '../../lib/cli/config-source.js';

const OPENAI = '  - { id: o, kind: openai-chat, api_key: k-0123456789abcdef }';

/** The located problems of a config, one line each (the config must be refused). */
function refused(yaml: string): string[] {
  try {
    parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the config to be refused');
}

const accepted = (yaml: string) => parseConfig(yaml, 'lip.yaml', { ...LOAD_OPTIONS, env: {} });

describe('config/check-identity: identity and the response headers', () => {
  it('accepts every mode of every carrier, a row override and an HSTS value', () => {
    const config = accepted([
      'server: { strict_transport_security: "max-age=31536000; includeSubDomains", security_headers: false }',
      'identity:',
      '  upstream:',
      '    user_agent: { mode: custom, value: "ExampleGateway/2 (+https://gw.example)" }',
      '    app_url: { mode: passthrough }',
      '    app_title: { mode: drop }',
      '  downstream: { server: { mode: custom, value: ExampleGateway } }',
      'backends:',
      '  - { id: r, kind: openrouter, api_key: k-0123456789abcdef, identity: { app_url: { mode: custom, value: "https://gw.example/app" }, user_agent: { mode: drop } } }',
    ].join('\n'));
    expect(config.identity.upstream.user_agent).to.deep.equal({ mode: 'custom', value: 'ExampleGateway/2 (+https://gw.example)' });
    expect(config.identity.downstream.server).to.deep.equal({ mode: 'custom', value: 'ExampleGateway' });
    expect(config.server).to.include({ security_headers: false, strict_transport_security: 'max-age=31536000; includeSubDomains' });
    expect(config.backends[0]!.identity).to.deep.equal({ app_url: { mode: 'custom', value: 'https://gw.example/app' }, user_agent: { mode: 'drop' } });
  });

  it('custom needs a value, and a value needs custom', () => {
    expect(refused(`identity:\n  upstream:\n    user_agent: { mode: custom }\nbackends:\n${OPENAI}`)).to.deep.equal([
      'lip.yaml:3:19: identity.upstream.user_agent.mode: mode: custom needs a value (the header value to send)',
    ]);
    expect(refused(`identity:\n  downstream:\n    server: { mode: drop, value: x }\nbackends:\n${OPENAI}`)).to.deep.equal([
      'lip.yaml:3:27: identity.downstream.server.value: value is only read with mode: custom (mode is drop)',
    ]);
  });

  it('a value must be a header value lip can send', () => {
    const cases: Record<string, string> = {
      '"a\\r\\nX-Injected: 1"': 'must not contain control characters',
      '" padded "': 'must not start or end with white space',
      '"\u{1F600} gateway"': 'Latin-1',
      [`"${'x'.repeat(513)}"`]: 'at most 512 characters (got 513)',
    };
    for (const [value, message] of Object.entries(cases)) {
      const lines = refused(`identity:\n  upstream:\n    user_agent: { mode: custom, value: ${value} }\nbackends:\n${OPENAI}`);
      expect(lines, value).to.have.length(1);
      expect(lines[0], value).to.contain('identity.upstream.user_agent.value: ').and.contain(message);
    }
  });

  it('an app URL must be an absolute http(s) URL without credentials or fragment', () => {
    const cases: Record<string, string> = {
      'gw.example': 'is not an absolute URL',
      'ftp://gw.example': 'must be an http or https URL',
      'https://user:pw@gw.example': 'must not carry credentials',
      'https://gw.example/#top': 'must not have a fragment',
    };
    for (const [value, message] of Object.entries(cases)) {
      const lines = refused(`identity:\n  upstream:\n    app_url: { mode: custom, value: "${value}" }\nbackends:\n${OPENAI}`);
      expect(lines, value).to.deep.equal([`lip.yaml:3:37: identity.upstream.app_url.value: ${message.startsWith('is') ? `"${value}" ${message}` : message}`]);
    }
  });

  it('the Server header has no client value to pass through', () => {
    const lines = refused(`identity:\n  downstream:\n    server: { mode: passthrough }\nbackends:\n${OPENAI}`);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^lip\.yaml:3:\d+: identity\.downstream\.server\.mode: /).and.contain('proxy');
  });

  it('a row override exists only where it does something', () => {
    // localstub sends nothing upstream; openai-codex presents the Codex client's identity.
    for (const kind of ['localstub', 'openai-codex']) {
      const lines = refused(`backends:\n  - { id: b, kind: ${kind}, identity: { user_agent: { mode: drop } } }`);
      expect(lines.join('\n'), kind).to.contain('backends[0].identity: unknown key "identity"');
    }
    // App attribution only on a kind that sends it.
    expect(refused(`backends:\n  - { id: o, kind: openai-chat, api_key: k-0123456789abcdef, identity: { app_title: { mode: drop } } }`).join('\n'))
      .to.contain('backends[0].identity.app_title: unknown key "app_title"');
  });

  it('a row sets a carrier in its headers or in identity, not both', () => {
    expect(refused('backends:\n  - { id: o, kind: openai-chat, api_key: k-0123456789abcdef, headers: { User-Agent: mine/1 }, identity: { user_agent: { mode: drop } } }')).to.deep.equal([
      'lip.yaml:2:107: backends[0].identity.user_agent: sets user_agent and the row\'s headers set user-agent too: keep one of them',
    ]);
    expect(refused('backends:\n  - { id: r, kind: openrouter, api_key: k-0123456789abcdef, headers: { X-Title: mine }, identity: { app_title: { mode: drop } } }').join('\n'))
      .to.contain('sets app_title and the row\'s headers set X-Title too');
  });

  it('Strict-Transport-Security must be a max-age with its directives', () => {
    expect(refused(`server: { strict_transport_security: "1 year" }\nbackends:\n${OPENAI}`)).to.deep.equal([
      'lip.yaml:1:38: server.strict_transport_security: "1 year" is not a Strict-Transport-Security value: write max-age=SECONDS, optionally followed by "; includeSubDomains" and "; preload"',
    ]);
  });
});
