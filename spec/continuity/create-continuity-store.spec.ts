import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContinuityStore, MemoryContinuityStore, SqliteContinuityStore } from '../../lib/continuity/index.js';
import { responseRowBytes, toResponseRow } from '../../lib/continuity/response-row.js';
import { configFrom } from '../helpers/config.js';
import { VirtualClock } from './virtual-clock.js';

describe('continuity/createContinuityStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-continuity-factory-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the memory store by default, with the configured ttl and max_legs', async () => {
    const config = configFrom('continuity: { ttl: 2s, max_legs: 1 }\nbackends: [{ id: stub, kind: localstub }]');
    const clock = new VirtualClock();
    const store = createContinuityStore(config.continuity, { scheduler: clock });
    expect(store).to.be.instanceOf(MemoryContinuityStore);
    const first = store.resolveALeg('local', 'one');
    store.resolveALeg('local', 'two'); // max_legs 1: "one" is evicted
    expect(await store.attempts(first.aLegId)).to.equal(undefined);
    const two = store.resolveALeg('local', 'two');
    clock.advance(2_000);
    expect(store.resolveALeg('local', 'two').aLegId).to.not.equal(two.aLegId);
    await store.close();
  });

  it('keeps the memory store\'s stored responses within max_response_bytes (256 MiB unless set): the oldest go first', async () => {
    expect(configFrom('backends: [{ id: stub, kind: localstub }]').continuity.max_response_bytes).to.equal(256 * 1024 * 1024);
    const text = 'x'.repeat(2_000);
    const record = (id: string) => ({ id, principal: 'local', input: [{ role: 'user' as const, parts: [{ type: 'text' as const, text }] }], output: { text, toolCalls: [], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } } as never });
    const one = responseRowBytes(toResponseRow(record('resp_1'), 0));
    const config = configFrom(`continuity: { max_response_bytes: ${Math.floor(one * 2.5)} }\nbackends: [{ id: stub, kind: localstub }]`);
    expect(config.continuity.max_response_bytes).to.equal(Math.floor(one * 2.5)); // room for two
    const store = createContinuityStore(config.continuity);
    const save = (id: string) => store.saveResponse(record(id));
    for (const id of ['resp_1', 'resp_2', 'resp_3']) save(id);
    const kept = await Promise.all(['resp_1', 'resp_2', 'resp_3'].map((id) => store.loadResponse(id, 'local').then(() => true, () => false)));
    expect(kept).to.deep.equal([false, true, true]);
    await store.close();
  });

  it('builds the SQLite store at sqlite_path, creating missing directories', async () => {
    const path = join(dir, 'nested', 'state', 'lip.db');
    const config = configFrom(`continuity: { store: sqlite, sqlite_path: ${JSON.stringify(path)} }\nbackends: [{ id: stub, kind: localstub }]`);
    const store = createContinuityStore(config.continuity, { scheduler: new VirtualClock() });
    expect(store).to.be.instanceOf(SqliteContinuityStore);
    expect(existsSync(path)).to.equal(true);
    expect(store.status()).to.deep.include({ store: 'sqlite', ready: true, capacity: 10_000 });
    await store.close();
  });
});
