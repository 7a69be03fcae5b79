import { expect } from 'chai';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { createRuntime } from '../../lib/core/runtime.js';

const SNAPSHOT = fileURLToPath(new URL('../../testdata/model-catalog/models-dev.json', import.meta.url));
const BACKENDS = '  - { id: oa, kind: localstub, models: [gpt-4o] }';
const CATALOG = `model_catalog: { enabled: true, path: "${SNAPSHOT}", backends: { oa: openai } }`;
const METRICS = 'observability: { metrics: { enabled: true } }';

/**
 * Regression (found by probing): `lip_model_catalog_snapshot_timestamp_seconds` read 0 when the
 * model catalog was off, where its help and the docs say it is absent; the alert the docs
 * suggest (`time() - ...` past twice refresh_interval) then fired on every deployment without
 * the catalog. The gauge has no labels, and prom-client's reset() sets such a gauge to 0
 * rather than emptying it. It is now in the registry only while the catalog is on, which a
 * reload may change either way.
 */
describe('regression: the model catalog\'s snapshot gauge is absent while the catalog is off, across reloads', function () {
  this.timeout(30_000);
  let lip: RunningLip;
  before(async () => { lip = await startLip(testConfig(BACKENDS, METRICS)); });
  after(async () => lip?.close());

  const gauge = async () => {
    const text = await (await fetch(`${lip.url}/metrics`)).text();
    expect(text).to.match(/^process_cpu_seconds_total /m);
    return /^lip_model_catalog_snapshot_timestamp_seconds (\S+)$/m.exec(text)?.[1];
  };

  it('off at start: absent; on after a reload: the snapshot\'s time; off again after another: absent', async () => {
    expect(await gauge()).to.equal(undefined);
    await lip.server.reload(createRuntime(testConfig(BACKENDS, [METRICS, CATALOG].join('\n'))));
    expect(Number(await gauge())).to.equal(Math.floor(statSync(SNAPSHOT).mtimeMs) / 1000);
    await lip.server.reload(createRuntime(testConfig(BACKENDS, METRICS)));
    expect(await gauge()).to.equal(undefined);
  });
});
