import { expect } from 'chai';
import { configIssues } from '../helpers/config.js';

/**
 * Found by probing: keys a row accepted although, with the keys around them, they do nothing.
 * lip's rule is that a key it accepts works; each such combination is now refused at the key
 * that would be ignored, saying why.
 */
describe('config regression: keys that would do nothing are refused', () => {
  it('acp over http takes no command, args or env (lip runs no agent process)', () => {
    const row = (extra: string) => `backends:\n  - { id: a, kind: acp, transport: http, base_url: "http://127.0.0.1:9"${extra} }\n`;
    expect(configIssues(row(', command: /bin/true'))).to.deep.equal(['backends[0].command: an acp agent over http runs no command (lip posts to {base_url}/v1/acp): remove command, args and env, or set transport: stdio']);
    expect(configIssues(row(', args: [x]'))).to.deep.equal(['backends[0].args: an acp agent over http runs no command (lip posts to {base_url}/v1/acp): remove command, args and env, or set transport: stdio']);
    expect(configIssues(row(', env: { A: b }'))).to.deep.equal(['backends[0].env: an acp agent over http runs no command (lip posts to {base_url}/v1/acp): remove command, args and env, or set transport: stdio']);
    expect(configIssues(row(''))).to.deep.equal([]);
  });

  it('access.geoip.client_ip.trusted_proxies under source: direct (forwarding headers are never read)', () => {
    const geoip = (clientIp: string) => `access:\n  geoip: { enabled: true, order: deny_allow, deny: { cidrs: [192.0.2.0/24] }, client_ip: ${clientIp} }\nbackends:\n  - { id: s, kind: localstub }\n`;
    expect(configIssues(geoip('{ source: direct, trusted_proxies: [10.0.0.0/8] }'))).to.deep.equal([
      'access.geoip.client_ip.trusted_proxies: source direct judges the connection\'s peer and reads no forwarding header, so no proxy is trusted: remove trusted_proxies, or set source: x_forwarded_for or forwarded behind them',
    ]);
    expect(configIssues(geoip('{ trusted_proxies: [10.0.0.0/8] }'))).to.have.length(1);
    expect(configIssues(geoip('{ source: direct, trusted_proxies: [] }'))).to.deep.equal([]);
    expect(configIssues(geoip('{ source: x_forwarded_for, trusted_proxies: [10.0.0.0/8] }'))).to.deep.equal([]);
  });

  it('openai-chat reasoning_required without a reasoning_field (the field it fills is none)', () => {
    const message = 'sends reasoning_field on every tool-call turn, and reasoning_field is none: set reasoning_field (reasoning_content or reasoning), or reasoning_required: false';
    expect(configIssues('backends:\n  - { id: a, kind: openai-chat, api_key: k, reasoning_required: true }\n')).to.deep.equal([`backends[0].reasoning_required: ${message}`]);
    expect(configIssues('backends:\n  - { id: a, kind: custom-openai-chat, base_url: "http://127.0.0.1:9/v1", reasoning_required: true, reasoning_field: none }\n')).to.deep.equal([`backends[0].reasoning_required: ${message}`]);
    // A preset that requires it (deepseek) with its field turned off.
    expect(configIssues('backends:\n  - { id: a, kind: deepseek, api_key: k, reasoning_field: none }\n')).to.deep.equal([`backends[0].reasoning_required: ${message}`]);
    expect(configIssues('backends:\n  - { id: a, kind: openai-chat, api_key: k, reasoning_required: true, reasoning_field: reasoning_content }\n')).to.deep.equal([]);
    expect(configIssues('backends:\n  - { id: a, kind: deepseek, api_key: k }\n')).to.deep.equal([]);
  });

  it('bedrock allow_insecure_non_loopback without disable_https (nothing is sent over plain HTTP)', () => {
    const row = (extra: string) => `backends:\n  - { id: a, kind: bedrock, access_key_id: a, secret_access_key: b, ${extra} }\n`;
    expect(configIssues(row('allow_insecure_non_loopback: true'))).to.deep.equal([
      'backends[0].allow_insecure_non_loopback: only lets disable_https reach a base_endpoint that is not loopback, and disable_https is false: set both for plain HTTP to a remote endpoint, or remove it',
    ]);
    expect(configIssues(row('base_endpoint: "http://10.0.0.8:9", disable_https: true, allow_insecure_non_loopback: true'))).to.deep.equal([]);
    expect(configIssues(row('allow_insecure_non_loopback: false'))).to.deep.equal([]);
  });

  it('localstub reasoning_signature without reasoning, tool_args without tool_name', () => {
    const row = (extra: string) => `backends:\n  - { id: s, kind: localstub, ${extra} }\n`;
    expect(configIssues(row('reasoning_signature: sig'))).to.deep.equal(['backends[0].reasoning_signature: signs the reasoning, and there is none: set reasoning too, or remove it']);
    expect(configIssues(row('tool_args: \'{"a":1}\''))).to.deep.equal(['backends[0].tool_args: are the arguments of the tool_name call, and there is none: set tool_name too (tool_calls take their own args), or remove it']);
    expect(configIssues(row('reasoning: think, reasoning_signature: sig, tool_name: t, tool_args: \'{"a":1}\''))).to.deep.equal([]);
  });
});
