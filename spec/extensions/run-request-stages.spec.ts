import { expect } from 'chai';
import { HOSTED_DIALECTS, TOOL_DIALECTS, type Call } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { FAIL_OPEN_SKIPS } from '../../lib/extensions/hook-failures.js';
import { reconcileToolChoice, runRequestStages } from '../../lib/extensions/run-request-stages.js';
import type { RequestHook } from '../../lib/extensions/sdk.js';
import { STAGE_IDS } from '../../lib/extensions/stages.js';
import { failures, hookContext, hookSet, userCall } from './fixtures.js';

const tag = (id: string, order?: number): RequestHook => ({
  id, ...(order !== undefined ? { order } : {}),
  run: (call) => ({ ...call, metadata: { ...call.metadata, trail: `${call.metadata.trail ?? ''}${id},` } }),
});
const trail = (call: Call) => call.metadata.trail;
const ctx = () => hookContext();

describe('extensions/runRequestStages', () => {
  it('the stage ids are the normative order', () => {
    expect(STAGE_IDS).to.deep.equal([
      'session_open', 'secret_guard', 'submit_request', 'tool_catalog_filter', 'request_wide_shaping', 'pre_request_admission',
      'route_hinting', 'candidate_attempt_transform', 'attempt_lifecycle', 'stream_event_mutation', 'tool_event_reaction',
      'completion_gating', 'final_stream_observation', 'traffic_observation',
    ]);
  });

  it('runs stages in order, and hooks within a stage by order then id', async () => {
    const set = hookSet(
      { preRequest: [tag('admit')], submitHooks: [tag('s-b', 5), tag('s-a', 5), tag('s-first', 1)] },
      { sessionOpeners: [tag('open')], requestTransforms: [tag('shape')], secretGuards: [tag('guard')], toolCatalogFilters: [tag('tools')] },
    );
    const { call } = await runRequestStages(userCall(), set, ctx, failures().failures);
    expect(trail(call)).to.equal('open,guard,s-first,s-a,s-b,tools,shape,admit,');
  });

  it('gives each hook run a span named after its stage, ended with the error that stopped the request', async () => {
    const spans: string[] = [];
    const trace = { stage: (stage: string, attrs: Record<string, string>) => ({ end: (err?: unknown) => { spans.push(`${stage}:${attrs['lip.extension.hook']}${err ? `:${(err as LipError).code}` : ''}`); } }) };
    const refuse: RequestHook = { id: 'refuse', run: () => ({ reject: 'no' }) };
    await runRequestStages(userCall(), hookSet({ submitHooks: [tag('s')], requestTransforms: [tag('shape')] }), ctx, failures().failures, undefined, trace);
    expect(spans).to.deep.equal(['submit_request:s', 'request_wide_shaping:shape']);
    spans.length = 0;
    await runRequestStages(userCall(), hookSet({ preRequest: [refuse], requestTransforms: [tag('shape')] }), ctx, failures().failures, undefined, trace).catch(() => undefined);
    expect(spans).to.deep.equal(['request_wide_shaping:shape', 'pre_request_admission:refuse:LIP_ERR_EXTENSION_REJECTED']);
  });

  it("a feature row's order wins over its hooks' own", async () => {
    const set = hookSet({ id: 'late', order: 500, bundle: { submitHooks: [tag('x', 1)] } }, { id: 'early', order: 10, bundle: { submitHooks: [tag('y', 900)] } });
    const { call } = await runRequestStages(userCall(), set, ctx, failures().failures);
    expect(trail(call)).to.equal('y,x,');
  });

  it('a fail_open hook that throws is skipped, counted and logged once per minute', async () => {
    const boom: RequestHook = { id: 'boom', failureMode: 'fail_open', run: () => { throw new Error('kaput'); } };
    const set = hookSet({ requestTransforms: [boom, tag('after')] });
    const f = failures();
    const before = FAIL_OPEN_SKIPS.get('request_wide_shaping') ?? 0;
    for (const t of [0, 30_000, 61_000]) {
      f.now.t = t;
      const { call } = await runRequestStages(userCall(), set, ctx, f.failures);
      expect(trail(call)).to.equal('after,');
    }
    expect(FAIL_OPEN_SKIPS.get('request_wide_shaping')).to.equal(before + 3);
    expect(f.logger.lines.map((l) => [l.level, l.meta?.hook, l.meta?.error])).to.deep.equal([['warn', 'boom', 'kaput'], ['warn', 'boom', 'kaput']]);
  });

  it('a fail_closed hook that rejects its promise stops the request with a retryable LIP_ERR_EXTENSION_FAILED', async () => {
    const set = hookSet({ submitHooks: [{ id: 'strict', run: () => Promise.reject(new Error('no backend for policy')) }] });
    const err = await runRequestStages(userCall(), set, ctx, failures().failures).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LipError);
    expect(err).to.include({ code: 'LIP_ERR_EXTENSION_FAILED', retryable: true });
    expect((err as LipError).message).to.contain('f0/strict (submit_request) failed: no backend for policy');
  });

  it('a call left invalid is the hook\'s failure: skipped when fail_open, an error when fail_closed', async () => {
    const emptying: RequestHook = { id: 'empty', failureMode: 'fail_open', run: (call) => ({ ...call, messages: [] }) };
    const { call } = await runRequestStages(userCall('keep'), hookSet({ requestTransforms: [emptying] }), ctx, failures().failures);
    expect(call.messages).to.have.length(1);
    const strict = { ...emptying, failureMode: 'fail_closed' as const };
    const err = await runRequestStages(userCall(), hookSet({ requestTransforms: [strict] }), ctx, failures().failures).catch((e: unknown) => e);
    expect((err as LipError).message).to.match(/left the call invalid: messages: must contain at least one message/);
  });

  it('a reject answer is LIP_ERR_EXTENSION_REJECTED (403) even from a fail_open hook', async () => {
    const deny: RequestHook = { id: 'deny', failureMode: 'fail_open', run: () => ({ reject: 'quota exhausted' }) };
    const err = await runRequestStages(userCall(), hookSet({ preRequest: [deny] }), ctx, failures().failures).catch((e: unknown) => e);
    expect(err).to.include({ code: 'LIP_ERR_EXTENSION_REJECTED', status: 403, retryable: false });
    expect((err as LipError).message).to.equal('quota exhausted (f0/deny, pre_request_admission)');
  });

  it('returns route hints in hook order; a bad hint list is a fail_open skip', async () => {
    const set = hookSet({ routeHints: [{ id: 'b', order: 2, hint: () => ['x:2'] }, { id: 'a', order: 1, hint: async () => ['x:1'] }, { id: 'bad', order: 3, hint: () => 'x:3' as never }] });
    expect((await runRequestStages(userCall(), set, ctx, failures().failures)).hints).to.deep.equal(['x:1', 'x:2']);
  });

  it('leaves out the hooks of disabled features', async () => {
    const set = hookSet({ id: 'caller', bundle: { submitHooks: [tag('mine')] } }, { id: 'other', bundle: { submitHooks: [tag('theirs')] } });
    const { call } = await runRequestStages(userCall(), set, ctx, failures().failures, new Set(['caller']));
    expect(trail(call)).to.equal('theirs,');
  });

  it('reconciles the tool choice after the catalog filter', async () => {
    const tools = [{ name: 'a', parameters: {} }, { name: 'b', parameters: {} }];
    const dropB: RequestHook = { id: 'drop-b', run: (call) => ({ ...call, tools: call.tools.filter((t) => t.name !== 'b') }) };
    const { call } = await runRequestStages(userCall('x', { tools, toolChoice: { type: 'tool', name: 'b' } }), hookSet({ toolCatalogFilters: [dropB] }), ctx, failures().failures);
    expect(call.tools.map((t) => t.name)).to.deep.equal(['a']);
    expect(call.toolChoice).to.deep.equal({ type: 'auto' });
    expect(reconcileToolChoice(userCall('x', { toolChoice: { type: 'any' } })).toolChoice).to.deep.equal({ type: 'auto' });
    const left = [{ name: 'a', parameters: {} }];
    expect(reconcileToolChoice(userCall('x', { tools: left, toolChoice: { type: 'any', allowed: ['a', 'b'] } })).toolChoice).to.deep.equal({ type: 'any', allowed: ['a'] });
    expect(reconcileToolChoice(userCall('x', { tools: left, toolChoice: { type: 'any', allowed: ['b'] } })).toolChoice).to.deep.equal({ type: 'auto' });
    expect(reconcileToolChoice(userCall('x', { tools: left, toolChoice: { type: 'auto', allowed: ['a'] } })).toolChoice).to.deep.equal({ type: 'auto', allowed: ['a'] });
  });

  it('a filter that removes an MCP toolset takes its server out of the Anthropic knobs; servers without a toolset stay', async () => {
    const toolset = (server: string) => ({
      name: `mcp:${server}`, kind: 'hosted' as const, parameters: {},
      providerTool: { dialect: HOSTED_DIALECTS.anthropic, definition: { type: 'mcp_toolset', mcp_server_name: server } },
    });
    const server = (name: string) => ({ type: 'url', url: `https://${name}.example.com/mcp`, name });
    const call = userCall('x', {
      tools: [toolset('docs'), toolset('kb'), { name: 'f', parameters: {} }],
      providerOptions: { anthropic: { speed: 'fast', mcpServers: [server('docs'), server('kb'), server('legacy')] } },
    });
    const drop = (names: string[]): RequestHook => ({ id: 'drop', run: (c) => ({ ...c, tools: c.tools.filter((t) => !names.includes(t.name)) }) });
    const one = await runRequestStages(call, hookSet({ toolCatalogFilters: [drop(['mcp:docs'])] }), ctx, failures().failures);
    expect(one.call.providerOptions?.anthropic).to.deep.equal({ speed: 'fast', mcpServers: [server('kb'), server('legacy')] });
    const both = await runRequestStages(call, hookSet({ toolCatalogFilters: [drop(['mcp:docs', 'mcp:kb'])] }), ctx, failures().failures);
    expect(both.call.providerOptions?.anthropic).to.deep.equal({ speed: 'fast', mcpServers: [server('legacy')] });
    const plain = await runRequestStages(call, hookSet({ toolCatalogFilters: [drop(['f'])] }), ctx, failures().failures);
    expect(plain.call.providerOptions).to.equal(call.providerOptions);
    const transform = await runRequestStages(call, hookSet({ requestTransforms: [drop(['mcp:docs'])] }), ctx, failures().failures);
    expect(transform.call.providerOptions).to.equal(call.providerOptions);
  });

  it('a filter that removes members of an Anthropic toolset turns them off in the declaration the members left carry', async () => {
    const declared = { type: 'browser_toolset_20260801', configs: { javascript_exec: { enabled: true }, navigate: null } };
    const member = (name: string) => ({ name, kind: 'provider' as const, toolset: 'browser', parameters: {}, providerTool: { dialect: TOOL_DIALECTS.anthropic, definition: declared } });
    const call = userCall('x', { tools: [member('navigate'), member('javascript_exec'), member('read_page'), { name: 'f', parameters: {} }] });
    const drop = (names: string[]): RequestHook => ({ id: 'drop', run: (c) => ({ ...c, tools: c.tools.filter((t) => !names.includes(t.name)) }) });
    const one = await runRequestStages(call, hookSet({ toolCatalogFilters: [drop(['javascript_exec', 'navigate'])] }), ctx, failures().failures);
    expect(one.call.tools.map((t) => [t.name, t.providerTool?.definition])).to.deep.equal([
      ['read_page', { type: 'browser_toolset_20260801', configs: { javascript_exec: { enabled: false }, navigate: { enabled: false } } }],
      ['f', undefined],
    ]);
    const plain = await runRequestStages(call, hookSet({ toolCatalogFilters: [drop(['f'])] }), ctx, failures().failures);
    expect(plain.call.tools.map((t) => t.providerTool?.definition)).to.deep.equal([declared, declared, declared]);
    const transform = await runRequestStages(call, hookSet({ requestTransforms: [drop(['navigate'])] }), ctx, failures().failures);
    expect(transform.call.tools[0]!.providerTool!.definition).to.equal(declared);
  });

  it('a filter sees the tools an additional_tools item adds, and one it removes leaves the item', async () => {
    const read = { name: 'read_file', parameters: {} };
    const write = { name: 'write_file', parameters: {} };
    const shell = { name: 'shell', parameters: {} };
    const adding = (tools: typeof read[]) => ({ type: 'hosted_tool' as const, dialect: HOSTED_DIALECTS.openaiResponses, block: { type: 'additional_tools', role: 'developer', tools: [] }, tools });
    const call = userCall('x', { tools: [read], toolChoice: { type: 'any' } });
    const added: Call = { ...call, messages: [...call.messages, { role: 'user', parts: [adding([write, shell])] }] };
    const seen: string[][] = [];
    const keep = (names: string[]): RequestHook => ({ id: 'keep', run: (c) => { seen.push(c.tools.map((t) => t.name)); return { ...c, tools: c.tools.filter((t) => names.includes(t.name)) }; } });
    const { failures: counted, logger } = failures();
    const filtered = await runRequestStages(added, hookSet({ toolCatalogFilters: [keep(['read_file', 'write_file'])] }), ctx, counted);
    expect(seen).to.deep.equal([['read_file', 'write_file', 'shell']]);
    expect(filtered.call.tools).to.deep.equal([read]);
    expect(filtered.call.messages.at(-1)!.parts).to.deep.equal([adding([write])]);
    expect(filtered.call.toolChoice).to.deep.equal({ type: 'any' });
    // Only added tools left: a tool choice names the call's own tools only, so `any` is `auto` now.
    const onlyAdded = await runRequestStages(added, hookSet({ toolCatalogFilters: [keep(['shell'])] }), ctx, counted);
    expect(onlyAdded.call.tools).to.deep.equal([]);
    expect(onlyAdded.call.toolChoice).to.deep.equal({ type: 'auto' });
    expect(onlyAdded.call.messages.at(-1)!.parts).to.deep.equal([adding([shell])]);
    // A request transform is no catalog filter: it sees the call's own tools.
    seen.length = 0;
    const transformed = await runRequestStages(added, hookSet({ requestTransforms: [keep(['read_file'])] }), ctx, counted);
    expect(seen).to.deep.equal([['read_file']]);
    expect(transformed.call).to.deep.equal(added);
    expect(logger.lines).to.deep.equal([]);
  });
});
