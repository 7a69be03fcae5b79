import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, keepsCatalogSource } from '../../../lib/core/runtime.js';
import { configFrom } from '../../helpers/config.js';

const REAL = readFileSync(new URL('../../../testdata/model-catalog/models-dev.json', import.meta.url), 'utf8');

describe('core/runtime: the model catalog across reloads', () => {
  let path: string;
  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'lip-catalog-runtime-')), 'models.json');
    writeFileSync(path, REAL);
  });

  const config = (extra = '') => configFrom([
    'backends: [{ id: oa, kind: openai-chat, api_key: k }]',
    // A fresh file: the first refresh waits a day, so nothing is fetched from the unreachable source.
    `model_catalog: { enabled: true, path: "${path}", source_url: "http://127.0.0.1:9/api.json"${extra} }`,
  ].join('\n'));

  it('off: no catalog is built', async () => {
    const runtime = createRuntime(configFrom('backends: [{ id: oa, kind: localstub }]'));
    expect(runtime.catalog).to.equal(undefined);
    await runtime.close();
  });

  it('a reload that keeps the source\'s settings keeps the running source; new overrides apply at once', async () => {
    const first = createRuntime(config());
    const source = first.catalog!.source;
    expect(first.catalog!.resolve('oa', 'gpt-4o').facts.context).to.equal(128000);
    const nextConfig = config(', overrides: [{ model: gpt-4o, context: 1000 }]');
    expect(keepsCatalogSource(first.config, nextConfig)).to.equal(true);
    const second = createRuntime(nextConfig, { catalogSource: source });
    await first.close({ next: second });
    expect(second.catalog!.source).to.equal(source);
    expect(source.status().next_refresh_at).to.be.a('string'); // still scheduled
    expect(second.catalog!.resolve('oa', 'gpt-4o').facts.context).to.equal(1000);
    await second.close();
    expect(source.status()).to.not.have.property('next_refresh_at'); // closed with its last runtime
  });

  it('a new path, source, timing or http_client makes a new source', () => {
    const running = config();
    expect(keepsCatalogSource(running, config(', refresh_interval: 1h'))).to.equal(false);
    expect(keepsCatalogSource(running, configFrom([
      'backends: [{ id: oa, kind: openai-chat, api_key: k }]',
      `model_catalog: { enabled: true, path: "${path}2", source_url: "http://127.0.0.1:9/api.json" }`,
    ].join('\n')))).to.equal(false);
    expect(keepsCatalogSource(running, configFrom([
      'backends: [{ id: oa, kind: openai-chat, api_key: k }]',
      'http_client: { connect_timeout: 1s }',
      `model_catalog: { enabled: true, path: "${path}", source_url: "http://127.0.0.1:9/api.json" }`,
    ].join('\n')))).to.equal(false);
  });
});
