import { expect } from 'chai';
import { completeJson, removeDanglingComma } from '../../../../lib/extensions/features/tool-call-repair/complete-json.js';

describe('tool-call-repair/completeJson', () => {
  const text = (s: string) => { const c = completeJson(s); return c && 'text' in c ? c.text : c; };
  it('closes strings, containers and literal prefixes by appending only', () => {
    expect(text('{"a":"x')).to.equal('{"a":"x"}');
    expect(text('{"a":[1,{"b":tr')).to.equal('{"a":[1,{"b":true}]}');
    expect(text('{"a":1')).to.equal('{"a":1}');
    expect(text('[')).to.equal('[]');
    expect(text('{"a":{}}')).to.equal('{"a":{}}');
  });
  it('gives up where completion would need invented content or the text is not a prefix', () => {
    for (const bad of ['{"a":1.', '{"a":"\\u12', '{"a":1,', '{"a', '{"a":1}}', '{"a" 1', '', '{"a":[1,', '{"a":{"b":']) expect(completeJson(bad), bad).to.equal(undefined);
  });
  it('reports a pending root property (key without a value)', () => {
    expect(completeJson('{"a":1,"mode"')).to.deep.equal({ pending: { key: 'mode', head: '{"a":1,"mode":', closers: '}' } });
    expect(completeJson('{"mode": ')).to.deep.equal({ pending: { key: 'mode', head: '{"mode": ', closers: '}' } });
  });
  it('removes one terminal dangling comma, never one inside a string', () => {
    expect(removeDanglingComma('{"a":1,}')).to.equal('{"a":1}');
    expect(removeDanglingComma('{"a":[1,2,] }')).to.equal('{"a":[1,2] }');
    expect(removeDanglingComma('{"a":"x,')).to.equal(undefined);
    expect(removeDanglingComma('{"a":1}')).to.equal(undefined);
  });
});
