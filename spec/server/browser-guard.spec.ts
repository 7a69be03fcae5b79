import { expect } from 'chai';
import { foreignBrowser } from '../../lib/server/browser-guard.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const none = { hosts: [], origins: [] };
const STUB = '  - { id: s, kind: localstub, models: [m], text: "hi" }';
const chat = JSON.stringify({ model: 's:m', messages: [{ role: 'user', content: 'x' }] });

/**
 * A single-user lip without API keys answers the machine's own clients, not browser pages of
 * other sites: any page on the web could POST to 127.0.0.1 without a preflight (text/plain) and
 * spend the upstream credentials lip holds, and a DNS-rebinding page (its own name resolving to
 * 127.0.0.1) could also read the answers, /admin/* included.
 */
describe('server/browser-guard', () => {
  it('lets through this machine\'s names and pages, and what the operator allows', () => {
    for (const host of ['127.0.0.1:8080', 'localhost', 'LOCALHOST:1', '[::1]:8080', '127.3.4.5', 'app.localhost:8080']) {
      expect(foreignBrowser({ host }, none), host).to.equal(undefined);
    }
    for (const origin of ['http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:5173', 'http://ui.localhost']) {
      expect(foreignBrowser({ host: 'localhost:8080', origin }, none), origin).to.equal(undefined);
    }
    expect(foreignBrowser({}, none)).to.equal(undefined); // HTTP/1.0: no Host, no browser
    const allow = { hosts: ['lip.internal'], origins: ['https://ui.example.com'] };
    expect(foreignBrowser({ host: 'LIP.internal:443', origin: 'https://UI.example.com' }, allow)).to.equal(undefined);
  });

  it('refuses another site\'s page (Origin) and a Host that is not this machine\'s (DNS rebinding), naming the setting', () => {
    const page = foreignBrowser({ host: '127.0.0.1:8080', origin: 'https://evil.example' }, none);
    expect(page).to.include({ code: 'LIP_ERR_AUTH_FOREIGN_ORIGIN', status: 403 });
    expect(page!.message).to.contain('server.allowed_origins');
    for (const origin of ['null', 'not a url', 'https://localhost.evil.example', 'https://127.0.0.1.evil.example']) {
      expect(foreignBrowser({ host: 'localhost', origin }, none), origin).to.include({ code: 'LIP_ERR_AUTH_FOREIGN_ORIGIN' });
    }
    const rebound = foreignBrowser({ host: 'evil.example:8080' }, none);
    expect(rebound!.message).to.contain('server.allowed_hosts');
    expect(foreignBrowser({ host: 'localhost.evil.example' }, none)).to.include({ code: 'LIP_ERR_AUTH_FOREIGN_ORIGIN' });
    expect(foreignBrowser({ host: 'lip.internal', origin: 'https://ui.example.com:8443' }, { hosts: ['lip.internal'], origins: ['https://ui.example.com'] })).to.include({ status: 403 });
  });

  describe('on a running lip', function () {
    this.timeout(30_000);
    let lip: RunningLip | undefined;
    afterEach(async () => {
      await lip?.close();
      lip = undefined;
    });

    it('without keys: a foreign page or Host gets 403 in the protocol\'s envelope before any work; health stays open; the SDK path is unchanged', async () => {
      lip = await startLip(testConfig(STUB, 'diagnostics: { enabled: true }'));
      const csrf = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: { 'content-type': 'text/plain', origin: 'https://evil.example' } });
      expect(csrf.status).to.equal(403);
      expect(JSON.parse(csrf.body).error).to.deep.include({ code: 'LIP_ERR_AUTH_FOREIGN_ORIGIN', type: 'permission_error' });
      const rebound = await httpRequest(`${lip.url}/v1/messages`, {
        body: JSON.stringify({ model: 's:m', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), headers: { host: 'evil.example:8080' },
      });
      expect(rebound.status).to.equal(403);
      expect(JSON.parse(rebound.body)).to.deep.include({ type: 'error' });
      expect((await httpRequest(`${lip.url}/admin/routes`, { method: 'GET', headers: { host: 'evil.example:8080' } })).status).to.equal(403);
      expect((await httpRequest(`${lip.url}/healthz`, { method: 'GET', headers: { host: 'evil.example:8080' } })).status).to.equal(200);
      const local = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: { origin: 'http://localhost:3000' } });
      expect(local.status).to.equal(200);
    });

    it('server.allowed_hosts / allowed_origins let others in; with API keys the guard is off (a page has no key)', async () => {
      lip = await startLip(testConfig(STUB, 'server: { allowed_hosts: [lip.internal], allowed_origins: ["https://ui.example.com"] }'));
      expect((await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: { host: 'lip.internal:8080', origin: 'https://ui.example.com' } })).status).to.equal(200);
      await lip.close();
      lip = await startLip(testConfig(STUB, 'auth: { api_keys: [ { id: a, key: key-of-alice-0123456789 } ] }'));
      const keyed = await httpRequest(`${lip.url}/v1/chat/completions`, { body: chat, headers: { host: 'evil.example', origin: 'https://evil.example', authorization: 'Bearer key-of-alice-0123456789' } });
      expect(keyed.status).to.equal(200);
    });
  });
});
