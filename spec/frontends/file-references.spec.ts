import { expect } from 'chai';
import { bothResolved, resolveChatFiles, resolveResponsesFiles } from '../../lib/frontends/file-references.js';
import type { ResolveReferences, StoredFile, StoredResponses } from '../../lib/frontends/protocol.js';

type Json = Record<string, any>;

const PDF: StoredFile = { filename: 'report.pdf', mediaType: 'application/pdf', data: 'JVBERi0=' };
const PNG: StoredFile = { filename: 'chart.png', mediaType: 'image/png', data: 'iVBORw0=' };

/** Stored responses holding two files; `asked` lists the ids looked up. */
function holding(asked: string[] = []): StoredResponses {
  return {
    principal: 'alice', load: () => Promise.reject(new Error('unused')), chain: () => Promise.reject(new Error('unused')), save: () => undefined,
    delete: () => Promise.resolve(), tombstone: () => Promise.resolve(), exclusive: (_key, change) => change(),
    file: (id) => {
      asked.push(id);
      return Promise.resolve(id === 'file-pdf' ? PDF : id === 'file-png' ? PNG : undefined);
    },
  };
}

/**
 * Parts naming a file by id (OpenAI Chat `file`, Responses `input_file` / `input_image`): a file
 * lip holds for the caller is put inline, an id it holds no file of is left for the provider,
 * and a body naming none is not looked at (no promise).
 */
describe('frontends/file-references', () => {
  it('puts a Chat file part lip holds inline (an image as an image_url part) and leaves other ids alone', async () => {
    const asked: string[] = [];
    const body = { model: 'm', messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [
        { type: 'text', text: 'Read these.' },
        { type: 'file', file: { file_id: 'file-pdf' } },
        { type: 'file', file: { file_id: 'file-png', filename: 'mine.png' } },
        { type: 'file', file: { file_id: 'file-openai-own' } },
        { type: 'file', file: { file_id: 'file-pdf', file_data: 'data:application/pdf;base64,AA==' } },
      ] },
    ] };
    const resolved = await resolveChatFiles(body, holding(asked))! as Json;
    expect(resolved.messages[0]).to.equal(body.messages[0]);
    expect(resolved.messages[1].content).to.deep.equal([
      { type: 'text', text: 'Read these.' },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'report.pdf' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0=' } },
      { type: 'file', file: { file_id: 'file-openai-own' } },
      { type: 'file', file: { file_id: 'file-pdf', file_data: 'data:application/pdf;base64,AA==' } },
    ]);
    expect(asked.sort()).to.deep.equal(['file-openai-own', 'file-pdf', 'file-png']);
    // The client's body is not changed.
    expect((body.messages[1]!.content as Json[])[1]).to.deep.equal({ type: 'file', file: { file_id: 'file-pdf' } });
  });

  it('puts Responses input_file and input_image parts lip holds inline', async () => {
    const body = { model: 'm', input: [
      { role: 'user', content: [
        { type: 'input_file', file_id: 'file-pdf', filename: 'named.pdf' },
        { type: 'input_image', file_id: 'file-png', detail: 'high' },
        { type: 'input_file', file_id: 'file-png' },
        { type: 'input_image', file_id: 'file-unknown' },
        { type: 'input_file', file_url: 'https://x/y.pdf', file_id: 'file-pdf' },
      ] },
      { type: 'function_call_output', call_id: 'c', output: 'x' },
    ] };
    const resolved = await resolveResponsesFiles(body, holding())! as Json;
    expect(resolved.input[0].content).to.deep.equal([
      { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'named.pdf' },
      { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0=', detail: 'high' },
      { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0=', detail: 'auto' },
      { type: 'input_image', file_id: 'file-unknown' },
      { type: 'input_file', file_url: 'https://x/y.pdf', file_id: 'file-pdf' },
    ]);
    expect(resolved.input[1]).to.equal(body.input[1]);
  });

  it('looks nothing up for a body that names no file, or when the store holds no files', () => {
    const asked: string[] = [];
    expect(resolveChatFiles({ messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: [{ type: 'text', text: 'x' }] }] }, holding(asked))).to.equal(undefined);
    expect(resolveChatFiles({ messages: 'x' }, holding(asked))).to.equal(undefined);
    expect(resolveResponsesFiles({ input: 'hi' }, holding(asked))).to.equal(undefined);
    expect(resolveResponsesFiles(null, holding(asked))).to.equal(undefined);
    const { file: _none, ...without } = holding(asked);
    expect(resolveChatFiles({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-pdf' } }] }] }, without)).to.equal(undefined);
    expect(asked).to.deep.equal([]);
  });

  it('answers the body as it was when none of its ids is a file lip holds; runs two resolvers one after the other', async () => {
    const body = { messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-other' } }] }] };
    expect(await resolveChatFiles(body, holding())).to.equal(body);
    const tag = (name: string): ResolveReferences => (b) => Promise.resolve({ ...(b as Json), seen: [...((b as Json).seen ?? []), name] });
    const skip: ResolveReferences = () => undefined;
    expect(await bothResolved(tag('a'), tag('b'))({}, holding())).to.deep.equal({ seen: ['a', 'b'] });
    expect(await bothResolved(skip, tag('b'))({}, holding())).to.deep.equal({ seen: ['b'] });
    expect(await bothResolved(tag('a'), skip)({}, holding())).to.deep.equal({ seen: ['a'] });
    expect(bothResolved(skip, skip)({}, holding())).to.equal(undefined);
  });
  it("puts a computer call's screenshot named by file_id inline as its image_url; a file that is no image, an unknown id and a given image_url stay", async () => {
    const asked: string[] = [];
    const screenshot = (output: Json) => ({ type: 'computer_call_output', call_id: 'c1', output: { type: 'computer_screenshot', ...output } });
    const body = { input: [screenshot({ file_id: 'file-png' }), screenshot({ file_id: 'file-pdf' }), screenshot({ file_id: 'file-other' }), screenshot({ file_id: 'file-png', image_url: 'https://x/y.png' })] };
    const resolved = await resolveResponsesFiles(body, holding(asked))! as Json;
    expect(resolved.input[0].output).to.deep.equal({ type: 'computer_screenshot', image_url: `data:image/png;base64,${PNG.data}` });
    expect(resolved.input.slice(1)).to.deep.equal(body.input.slice(1));
    expect(asked.sort()).to.deep.equal(['file-other', 'file-pdf', 'file-png']);
    expect(resolveResponsesFiles({ input: [screenshot({ image_url: 'data:image/png;base64,AA==' })] }, holding())).to.equal(undefined);
  });
});
