import { expect } from 'chai';
import { emptyCall, validateCall, type Call, type Message } from '../../lib/canonical/index.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/encode-request.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/encode-request.js';
import { anthropicThinking } from '../../lib/backends/thinking.js';
import { planFromCarriers } from '../../lib/extensions/features/compaction-continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { inlineFileName, mediaTypeByExtension, mediaTypeOfUrl } from '../../lib/wire/index.js';

const user: Message = { role: 'user', parts: [{ type: 'text', text: 'hi' }] };
const withEffort = (effort: string): Call => emptyCall({ model: 'm', messages: [user], options: { reasoning: { effort } } });

/**
 * Tables of plain objects looked up with the client's text found the properties of
 * `Object.prototype`: a reasoning effort `constructor` (any word passes `?reasoning_effort=`) was
 * a thinking budget of `function Object()`, dropped from the JSON sent upstream; an image URL
 * ending `.constructor` had that function as its media type, an image of media type
 * `constructor` a Converse format, a plan step of status `constructor` a status. They are Maps
 * (or own-key checks) now: such text is simply unknown. The selector's own tables:
 * spec/routing/selector/regression-prototype-keys.spec.ts.
 */
describe('backends, wire, extensions regression: lookups of the client\'s text named like Object.prototype properties', () => {
  it('an effort the tables do not know sets no thinking budget (Anthropic, Gemini)', () => {
    for (const effort of ['constructor', '__proto__', 'valueof']) {
      expect(anthropicThinking(withEffort(effort)), effort).to.equal(undefined);
      const config = (encodeGeminiRequest(withEffort(effort)) as { generationConfig?: { thinkingConfig?: Record<string, unknown> } }).generationConfig?.thinkingConfig;
      expect(config, effort).to.deep.equal({ includeThoughts: true });
    }
    expect(anthropicThinking(withEffort('high'))).to.deep.equal({ type: 'enabled', budget: 16384 });
  });

  it('a URL or file name whose extension is "constructor" names no media type; nor does such a type name an extension', () => {
    expect([mediaTypeOfUrl('https://x/a.constructor'), mediaTypeByExtension('b.constructor'), mediaTypeOfUrl('https://x/a.png')]).to.deep.equal([undefined, undefined, 'image/png']);
    expect([inlineFileName('constructor'), inlineFileName('__proto__'), inlineFileName('text/csv')]).to.deep.equal(['file', 'file', 'document.csv']);
  });

  it('Bedrock refuses an image or document of media type "constructor" as any type it cannot take', () => {
    for (const part of [{ type: 'image', data: 'AAAA', mediaType: 'constructor' }, { type: 'file', data: 'AAAA', mediaType: '__proto__' }] as const) {
      let refused: unknown;
      try {
        encodeBedrockRequest(emptyCall({ messages: [{ role: 'user', parts: [part] }] }), 'anthropic');
      } catch (err) {
        refused = err;
      }
      expect(refused).to.be.instanceOf(LipError);
      expect((refused as LipError).code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
    }
  });

  it('compaction-continuity reads no plan from a tool named "constructor" nor a step of status "constructor"', () => {
    const planCall = (name: string, args: unknown): Call => emptyCall({ messages: [user, { role: 'assistant', parts: [{ type: 'tool_call', id: 'p', name, arguments: JSON.stringify(args) }] }] });
    expect(planFromCarriers(planCall('update_plan', { plan: [{ step: 'Read', status: 'constructor' }] }))).to.equal(undefined);
    expect(planFromCarriers(planCall('constructor', { undefined: [{ step: 'Read', status: 'done' }] }))).to.equal(undefined);
  });

  it('a call whose message role is "constructor" is an issue, not a crash', () => {
    const issues = validateCall(emptyCall({ messages: [{ role: 'constructor' as Message['role'], parts: [{ type: 'text', text: 'x' }] }] }));
    expect(issues.map((i) => [i.path, i.message])).to.deep.equal([['messages[0].role', 'must be one of system, user, assistant, tool']]);
  });
});
