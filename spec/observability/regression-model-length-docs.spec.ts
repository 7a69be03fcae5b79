import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { MAX_SELECTOR_INPUT_CHARS } from '../../lib/core/route-input.js';

/**
 * The attribute and log-line cuts are explained by how long a client's model name can be: the
 * request limit (MAX_SELECTOR_INPUT_CHARS, 4,096 characters), not the canonical model's own
 * 64 KiB bound. The tracing docs and the exporter's comment said "a client's 64 KiB model name".
 */
describe('observability docs: how long a client\'s model name can be', () => {
  const limit = MAX_SELECTOR_INPUT_CHARS.toLocaleString('en-US');
  const texts = {
    'docs/observability.md': readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8'),
    'lib/observability/tracing.ts': readFileSync(new URL('../../lib/observability/tracing.ts', import.meta.url), 'utf8'),
  };

  for (const [file, text] of Object.entries(texts)) {
    it(`${file} names the request limit (${limit} characters), never a 64 KiB model name`, () => {
      const flat = text.replace(/\s*\n\s*\*?\s*/g, ' ');
      expect(flat, file).not.to.match(/64 KiB model|model[^.]{0,40}up to 64 KiB/);
      expect(flat, file).to.match(new RegExp(`${limit}-character model name|model name[^.]{0,40}${limit} characters|up to ${limit} characters`));
    });
  }
});
