import type { _ as CodeTemplate, Ajv, CodeKeywordDefinition, Code, KeywordCxt } from 'ajv';
import { KEYWORD_HELPERS, KEYWORD_HELPERS_MODULE as M } from './keyword-helpers.js';

/** ajv's code template tag (passed in: ajv itself loads only when a schema is compiled). */
type CodeTag = typeof CodeTemplate;

/**
 * The config schema's own keywords, as code-generating keywords (so that a validator can be
 * compiled at build time to a module of its own; see lib/wire/precompiled-validators.ts). Each calls a function of
 * KEYWORD_HELPERS, named in the generated code as `require("lip:config-keywords").name`.
 *
 * `lipDuration` / `lipSize`: operator-friendly units, validated and replaced in place with
 * milliseconds / bytes, so the typed config never sees strings like "30s".
 * `lipUrl: [schemes]`: a URL that `new URL` parses, with one of the schemes and a host (a
 * pattern such as `^https?://` let `http://:99999` or `http://exa mple.com` through, to fail on
 * every request or at start). The value is kept as written.
 */
export function addUnitKeywords(ajv: Ajv, _: CodeTag): void {
  const helper = (cxt: Pick<KeywordCxt, 'gen'>, name: keyof typeof KEYWORD_HELPERS) => cxt.gen.scopeValue('func', {
    ref: KEYWORD_HELPERS[name],
    code: name === 'duration' ? _`require(${M}).duration` : name === 'size' ? _`require(${M}).size` : name === 'shown' ? _`require(${M}).shown` : _`require(${M}).urlMessage`,
  });
  const unit = (keyword: string, name: 'duration' | 'size', expected: string): CodeKeywordDefinition => ({
    keyword,
    schemaType: 'boolean',
    error: { message: (cxt) => _`${`must be ${expected} (got `} + ${helper(cxt, 'shown')}(${cxt.data}) + ")"` },
    code(cxt) {
      const { gen, data, it } = cxt;
      const value = gen.const('value', _`${helper(cxt, name)}(${data})`);
      gen.if(_`${value} !== undefined`, () => {
        if (it.dataLevel > 0) gen.assign(_`${it.parentData}[${it.parentDataProperty}]`, value);
        gen.assign(data, value);
      });
      cxt.fail(_`${value} === undefined`);
    },
  });
  ajv.addKeyword({
    keyword: 'lipUrl',
    schemaType: 'array',
    error: { message: (cxt) => cxt.params.problem as Code },
    code(cxt) {
      const problem = cxt.gen.const('problem', _`${helper(cxt, 'urlMessage')}(${cxt.data}, ${cxt.schemaCode})`);
      cxt.setParams({ problem });
      cxt.fail(_`${problem} !== undefined`);
    },
  });
  ajv.addKeyword(unit('lipDuration', 'duration', 'a duration such as 250ms, 30s or 5m'));
  ajv.addKeyword(unit('lipSize', 'size', 'a size in bytes or such as 512KiB or 8MiB'));
}
