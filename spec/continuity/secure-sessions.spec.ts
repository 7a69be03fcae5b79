import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContinuityStore, SecureSessions } from '../../lib/continuity/index.js';
import { runSessionSuite } from './session-suite.js';
import { VirtualClock } from './virtual-clock.js';

runSessionSuite('memory', {
  open: (clock, config) => createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ...config }, { scheduler: clock }),
});

let dir: string | undefined;
let path = '';
runSessionSuite('sqlite', {
  open: (clock, config) => {
    dir = mkdtempSync(join(tmpdir(), 'lip-sessions-'));
    path = join(dir, 'lip.db');
    return createContinuityStore({ store: 'sqlite', sqlite_path: path, ...config }, { scheduler: clock });
  },
  reopen: (clock, config) => createContinuityStore({ store: 'sqlite', sqlite_path: path, ...config }, { scheduler: clock }),
  cleanup: () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
});

describe('continuity/SecureSessions keys', () => {
  it('a configured resume_token_key replaces the store\'s own: tokens resume under it, not under another', async () => {
    const clock = new VirtualClock();
    const store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 3_600_000, max_legs: 100 }, { scheduler: clock });
    const settings = { resumeWindowMs: 3_600_000, clientSessionIds: false, now: () => clock.now() };
    const keyed = new SecureSessions(store, { ...settings, key: 'k'.repeat(32) });
    const grant = keyed.begin('alice');
    expect(new SecureSessions(store, { ...settings, key: 'k'.repeat(32) }).open({ principal: 'alice', resumeToken: grant.resumeToken! }).aLeg.aLegId).to.equal(grant.aLeg.aLegId);
    expect(() => new SecureSessions(store, { ...settings, key: 'z'.repeat(32) }).open({ principal: 'alice', resumeToken: grant.resumeToken! })).to.throw(/could not be resumed/);
    expect(() => new SecureSessions(store, settings).open({ principal: 'alice', resumeToken: grant.resumeToken! })).to.throw(/could not be resumed/);
    await store.close();
  });
});
