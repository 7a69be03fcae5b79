import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../../lib/core/runtime.js';
import { LipError } from '../../lib/errors/index.js';
import { testConfig } from '../helpers/config.js';

/**
 * Building a runtime is what a reload does before it swaps anything: a store that cannot open
 * must fail fast with a `LipError` naming the path, so the running runtime keeps serving.
 * @see spec/e2e/store-faults.spec.ts for the reload itself (SIGHUP to a spawned `lip serve`)
 */
describe('core/createRuntime', () => {
  const sqliteAt = (path: string) => testConfig('  - { id: stub, kind: localstub }', `routing: { default_route: "stub:m" }\ncontinuity: { store: sqlite, sqlite_path: "${path}" }`);

  for (const path of ['/proc/lip-spec/x/lip.db', '/proc/self/lip.db', '/dev/null']) {
    it(`fails with LIP_ERR_CONTINUITY_UNAVAILABLE for sqlite_path ${path}, without hanging`, () => {
      try {
        createRuntime(sqliteAt(path));
        expect.fail('the runtime should not build');
      } catch (err) {
        expect(err).to.be.instanceOf(LipError);
        expect((err as LipError).code).to.equal('LIP_ERR_CONTINUITY_UNAVAILABLE');
        expect((err as LipError).message).to.contain(`cannot open the continuity database ${path}`);
      }
    });
  }

  it('creates missing directories for a usable path and releases the store on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-runtime-'));
    try {
      const runtime = createRuntime(sqliteAt(join(dir, 'a', 'b', 'lip.db')));
      expect(runtime.continuity.status()).to.deep.include({ store: 'sqlite', ready: true });
      await runtime.close();
      expect(runtime.continuity.status().state).to.equal('closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
