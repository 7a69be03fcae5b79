import { expect } from 'chai';
import { buildFeatures } from '../../lib/extensions/create-extension-host.js';
import { FEATURE_FACTORIES, featureRows } from '../../lib/extensions/registry.js';
import type { FeatureBundle } from '../../lib/extensions/sdk.js';
import { MemoryStateStore } from '../../lib/extensions/state-store.js';
import { testConfig } from '../helpers/config.js';
import { bundles, featureRuntime, ok, useTestFeatures } from './test-feature.js';

/**
 * Regression (plugin probe t7, t11): the bundle check looked at hook ids and orders only. A
 * failureMode typo (`fail-closed`) ran as fail_open, a hook without its list's method failed
 * every request at run time, a misspelt list (`submitHook`) was ignored, and two hooks of one
 * feature could share an id (the key of its fail-open logs and of the inventory).
 */
describe('extensions: the bundle check (regression: malformed hooks were accepted)', () => {
  useTestFeatures();
  const refused = (bundle: unknown) => {
    bundles['test-hooks'] = () => bundle as FeatureBundle;
    try {
      const { runtime } = featureRuntime({ a: ok('x') }, '  - { id: test-hooks }');
      void runtime.close();
      return 'built';
    } catch (err) {
      return (err as Error).message;
    }
  };
  const built = (message: string) => `feature "test-hooks" could not be built from its config: ${message}`;
  const run = (c: unknown) => c;

  it('refuses a failure mode lip does not know (a typo must not run as fail_open)', () => {
    expect(refused({ submitHooks: [{ id: 'bad', failureMode: 'fail-closed', run }] }))
      .to.equal(built('hook bad of submitHooks has failureMode "fail-closed"; it must be fail_open or fail_closed'));
    expect(refused({ eventMutators: [{ id: 'm', failureMode: null, mutate: run }] }))
      .to.equal(built('hook m of eventMutators has failureMode null; it must be fail_open or fail_closed'));
  });

  it('refuses a hook without the method of its list', () => {
    expect(refused({ submitHooks: [{ id: 'no-run', failureMode: 'fail_closed' }] })).to.equal(built('hook no-run of submitHooks has no run method'));
    expect(refused({ eventMutators: [{ id: 'no-mutate', run }] })).to.equal(built('hook no-mutate of eventMutators has no mutate method'));
    expect(refused({ completionGates: [{ id: 'g', gate: 'pass_original' }] })).to.equal(built('hook g of completionGates has no gate method'));
    expect(refused({ streamObservers: [{ id: 'o' }] })).to.equal(built('hook o of streamObservers has no event or end method'));
    expect(refused({ streamObservers: [{ id: 'o', end: () => undefined }] })).to.equal('built');
    expect(refused({ toolReactors: [{ id: 'r', react: run, appliesTo: true }] })).to.equal(built('hook r of toolReactors has an appliesTo that is not a function'));
  });

  it('refuses two hooks with the same id in one feature, in one list or in two', () => {
    expect(refused({ submitHooks: [{ id: 'a', run }, { id: 'a', run }] }))
      .to.equal(built('hook a of submitHooks has the id of another hook of the feature (in submitHooks); hook ids are unique within a feature'));
    expect(refused({ submitHooks: [{ id: 'a', run }], eventMutators: [{ id: 'a', mutate: run }] }))
      .to.equal(built('hook a of eventMutators has the id of another hook of the feature (in submitHooks); hook ids are unique within a feature'));
  });

  it('refuses a bundle key the SDK does not have (a misspelt list would be ignored), and lifecycles that are not functions', () => {
    expect(refused({ submitHook: [{ id: 'a', run }] })).to.equal(built('unknown bundle key "submitHook" (did you mean "submitHooks"?)'));
    expect(refused({ hooks: [] })).to.match(/^feature "test-hooks" could not be built from its config: unknown bundle key "hooks"; known keys: sessionOpeners, .*, start, stop, diagnostics$/);
    expect(refused({ start: 'now' })).to.equal(built('start must be a function'));
  });

  it('every bundled feature that runs without a config passes the check (the others: their own specs build them)', () => {
    let checked = 0;
    for (const id of Object.keys(FEATURE_FACTORIES).filter((f) => !f.startsWith('test-'))) {
      let config;
      try {
        config = testConfig('  - { id: s, kind: localstub }', `features:\n  - { id: ${id} }`);
      } catch {
        continue; // it needs a config
      }
      const rows = featureRows(config.features, FEATURE_FACTORIES).filter((r) => r.enabled);
      expect(buildFeatures(rows, new MemoryStateStore()).map((f) => f.id)).to.include(id);
      checked++;
    }
    expect(checked).to.be.above(5);
  });
});
