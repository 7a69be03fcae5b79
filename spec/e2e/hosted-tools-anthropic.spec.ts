import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import type { Script } from '../helpers/emulators/index.js';
import { askAnthropic, plainBlocks as plain, useUpstreams } from '../helpers/upstreams.js';

const CODE: Anthropic.CodeExecutionTool20250825 = { type: 'code_execution_20250825', name: 'code_execution' };
const FETCH: Anthropic.WebFetchTool20250910 = { type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 2, allowed_domains: ['example.com'], citations: { enabled: true } };
const QUESTION: Anthropic.MessageParam = { role: 'user', content: 'How many files are there, and what does example.com/a say?' };
const CONTAINER = { id: 'container_011CPR5CNjB747bTd36fQLFk', expires_at: '2025-09-10T01:00:00.000Z', skills: null };

/** Code execution as Anthropic answers it: the model runs a command in its container and reads the output. */
const LISTED = [
  { type: 'server_tool_use', id: 'srvtoolu_01B3C5', name: 'bash_code_execution', input: { command: 'ls -1 | wc -l' }, caller: { type: 'direct' } },
  {
    type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_01B3C5',
    content: { type: 'bash_code_execution_result', stdout: '3\n', stderr: '', return_code: 0, content: [] },
  },
];
/** Web fetch as Anthropic answers it: the page comes back as a document. */
const FETCHED = [
  { type: 'server_tool_use', id: 'srvtoolu_01F7A9', name: 'web_fetch', input: { url: 'https://example.com/a' }, caller: { type: 'direct' } },
  {
    type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_01F7A9', caller: { type: 'direct' },
    content: {
      type: 'web_fetch_result', url: 'https://example.com/a', retrieved_at: '2025-09-10T00:00:00.000Z',
      content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Example Domain. This domain is for use in examples.' }, title: 'Example Domain', citations: { enabled: true } },
    },
  },
];
const ANSWER: Script = { hosted: [...LISTED, ...FETCHED], text: ['There are 3 files; ', 'the page is an example.'], hostedMeta: CONTAINER, usage: { input: 120, output: 40 } };
const TEXT = { type: 'text', text: 'There are 3 files; the page is an example.' };

/**
 * Anthropic's server tools other than web search (code execution, web fetch; tool search passes
 * the same way) for an Anthropic client through the official SDK, streamed
 * (`messages.stream().finalMessage()`) and not. They were a 400. Now the tools reach an Anthropic
 * upstream as declared, their blocks come back as the upstream wrote them (ids, callers and
 * documents intact), with the code execution container, and the next turn sends the blocks and
 * the container back as written. A route whose first candidate is another provider moves on to
 * the Anthropic one before anything is sent; a route without one refuses with a 400.
 */
describe('e2e: hosted server tools for Anthropic clients (code execution, web fetch)', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } });
  const anthropic = () => up.emulators.an!;
  const chat = () => up.emulators.oc!;

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: Anthropic.MessageCreateParamsNonStreaming) => askAnthropic(up.anthropic(), p, stream);

    it(`the tools reach the upstream as declared; the blocks and the container come back as the upstream wrote them (${mode})`, async () => {
      anthropic().enqueue(ANSWER);
      const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [CODE, FETCH], messages: [QUESTION] });
      const sent = anthropic().requests[0]!;
      expect(sent.body.tools).to.deep.equal([CODE, FETCH]);
      expect(sent.stream).to.equal(stream);
      expect(sent.headers).to.not.have.property('anthropic-beta');
      expect(plain(message.content)).to.deep.equal([...LISTED, ...FETCHED, TEXT]);
      expect(message.container).to.deep.equal(CONTAINER);
      expect(message.stop_reason).to.equal('end_turn');
      expect(message.usage.server_tool_use).to.deep.equal({ web_search_requests: 0, web_fetch_requests: 1 });
    });

    it(`the next turn sends the blocks back in place as written, with the container (${mode})`, async () => {
      anthropic().enqueue(ANSWER, { text: 'Nothing else.' });
      const first = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [CODE, FETCH], messages: [QUESTION] });
      const history = first.content as unknown as Anthropic.ContentBlockParam[];
      const next = await ask({
        model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [CODE, FETCH], container: first.container!.id,
        messages: [QUESTION, { role: 'assistant', content: history }, { role: 'user', content: 'Anything else?' }],
      });
      expect(plain(next.content)).to.deep.equal([{ type: 'text', text: 'Nothing else.' }]);
      expect(next).to.not.have.property('container');
      const sent = anthropic().requests[1]!.body;
      expect(sent.container).to.equal(CONTAINER.id);
      expect(sent.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: QUESTION.content }] },
        { role: 'assistant', content: [...LISTED, ...FETCHED, TEXT] },
        { role: 'user', content: [{ type: 'text', text: 'Anything else?' }] },
      ]);
    });
  }

  it('a paused turn comes back as pause_turn; the client continues it with the container, its history as written', async () => {
    anthropic().enqueue({ hosted: LISTED, rawFinish: 'pause_turn', hostedMeta: CONTAINER }, { text: 'Three.' });
    const params = { model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [CODE], messages: [QUESTION] };
    const paused = await up.anthropic().messages.stream(params).finalMessage();
    expect(paused.stop_reason).to.equal('pause_turn');
    expect(anthropic().requests).to.have.length(1);
    const resumed = await up.anthropic().messages.create({
      ...params, container: paused.container!.id, messages: [QUESTION, { role: 'assistant', content: paused.content as unknown as Anthropic.ContentBlockParam[] }],
    });
    expect(plain(resumed.content)).to.deep.equal([{ type: 'text', text: 'Three.' }]);
    expect(anthropic().requests[1]!.body).to.deep.include({ container: CONTAINER.id, messages: [{ role: 'user', content: [{ type: 'text', text: QUESTION.content }] }, { role: 'assistant', content: LISTED }] });
  });

  it('a route whose first candidate is another provider moves on, before sending anything, to the anthropic one', async () => {
    anthropic().enqueue(ANSWER);
    const res = await up.anthropic().messages.create({ model: 'oc:gpt-4o|an:claude-sonnet-4-6', max_tokens: 1024, tools: [CODE], messages: [QUESTION] }).withResponse();
    expect(plain(res.data.content)).to.deep.equal([...LISTED, ...FETCHED, TEXT]);
    expect(res.response.headers.get('x-lip-backend')).to.equal('an:claude-sonnet-4-6');
    expect(chat().requests).to.have.length(0);
    expect(anthropic().requests[0]!.body.tools).to.deep.equal([CODE]);
  });

  it('a route with no anthropic candidate refuses with a 400 in Anthropic\'s error envelope; nothing goes upstream', async () => {
    const err = await up.anthropic().messages.create({ model: 'oc:gpt-4o', max_tokens: 64, tools: [CODE], messages: [QUESTION] }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.BadRequestError>).error as { type: string; error: { type: string; message: string } };
    expect(body.type).to.equal('error');
    expect(body.error.type).to.equal('invalid_request_error');
    expect(body.error.message).to.include('no candidate can serve this request').and.include('cannot run the hosted tool "code_execution"');
    expect(chat().requests).to.have.length(0);
  });

  it('a server tool lip does not pass (an invented one) stays a 400 naming tools[i].type; nothing goes upstream', async () => {
    const err = await up.anthropic().messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [QUESTION], tools: [CODE, { type: 'imaginary_tool_20991231', name: 'imaginary' } as unknown as Anthropic.ToolUnion],
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).to.include('tools[1].type');
    expect(anthropic().requests).to.have.length(0);
  });
});
