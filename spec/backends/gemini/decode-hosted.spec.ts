import { expect } from 'chai';
import { GeminiResponseDecoder, GeminiStreamDecoder, encodeGeminiRequest } from '../../../lib/backends/gemini/index.js';
import { assistantMessage, collectEvents, emptyCall, type LipEvent } from '../../../lib/canonical/index.js';
import { geminiProtocol, type Script } from '../../helpers/emulators/index.js';
import { contentEvents, decodeGeminiFrames, geminiFrame } from './decode-frames.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

const GEMINI = 'gemini.builtin_tool';
const CODE = { executableCode: { language: 'PYTHON', code: 'print(2**10)' }, thoughtSignature: 'c2lnLWNvZGU=' };
const RESULT = { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1024\n' } };
const URLS = { urlMetadata: [{ retrievedUrl: 'https://a.example/', urlRetrievalStatus: 'URL_RETRIEVAL_STATUS_SUCCESS' }] };

const frame = geminiFrame;

const decode = (frames: Record<string, unknown>[], grounded = false) => decodeGeminiFrames(frames, grounded);
const content = contentEvents;

describe('backends/gemini decoders: code execution and URL context', () => {
  it('turns each code execution part into a done hosted_tool event, the part as written, in its place among text and calls', () => {
    const events = decode([
      frame([{ text: 'Computing.' }], { urlContextMetadata: URLS }), frame([CODE]), frame([RESULT]),
      frame([{ text: 'It is 1024.' }, { functionCall: { name: 'note', args: { n: 1024 } } }], {}, 'STOP'),
    ]);
    expect(content(events).map((e) => e.type)).to.deep.equal(['hosted_tool', 'text_delta', 'hosted_tool', 'hosted_tool', 'text_delta', 'tool_call_started', 'tool_call_delta', 'tool_call_finished']);
    const hosted = events.filter((e) => e.type === 'hosted_tool');
    expect(hosted).to.deep.equal([
      { type: 'hosted_tool', id: 'gh_r1_url_context', dialect: GEMINI, phase: 'done', scope: 'message', block: { urlContextMetadata: URLS } },
      { type: 'hosted_tool', id: 'gh_r1_0', dialect: GEMINI, phase: 'done', block: CODE },
      { type: 'hosted_tool', id: 'gh_r1_1', dialect: GEMINI, phase: 'done', block: RESULT },
    ]);
    // The signature rides in the block, not as a reasoning signature.
    expect(events.some((e) => e.type === 'reasoning_signature')).to.equal(false);
  });

  it('reports a URL context record before the parts of the frame that carries it, once however often it is repeated; a revised one is a record of its own', () => {
    const more = { urlMetadata: [...URLS.urlMetadata, { retrievedUrl: 'https://b.example/', urlRetrievalStatus: 'URL_RETRIEVAL_STATUS_ERROR' }] };
    const events = decode([frame([{ text: 'a' }], { urlContextMetadata: URLS }), frame([{ text: 'b' }], { urlContextMetadata: URLS }), frame([{ text: 'c' }], { urlContextMetadata: more }, 'STOP')]);
    expect(content(events)).to.deep.equal([
      { type: 'hosted_tool', id: 'gh_r1_url_context', dialect: GEMINI, phase: 'done', scope: 'message', block: { urlContextMetadata: URLS } },
      { type: 'text_delta', text: 'a' }, { type: 'text_delta', text: 'b' },
      { type: 'hosted_tool', id: 'gh_r1_url_context_1', dialect: GEMINI, phase: 'done', scope: 'message', block: { urlContextMetadata: more } },
      { type: 'text_delta', text: 'c' },
    ]);
  });

  it('decodes the emulator\'s streamed and whole answers alike, and the collected answer sends the parts back in place', () => {
    const script: Script = { hosted: [CODE, RESULT], hostedMeta: URLS, text: ['2**10 ', 'is 1024.'] };
    const { streamed, whole, violations } = decodeBothWays(geminiProtocol, script, recorded({}), () => new GeminiStreamDecoder('b', []), () => new GeminiResponseDecoder('b', []));
    expect(violations).to.deep.equal([]);
    expect(comparable(streamed)).to.deep.equal(comparable(whole));
    const collected = collectEvents(whole);
    expect(collected.blocks.map((b) => b.type)).to.deep.equal(['hosted_tool', 'hosted_tool', 'hosted_tool', 'text']);
    const next = emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: '2**10?' }] }, assistantMessage(collected)!, { role: 'user', parts: [{ type: 'text', text: 'and 2**11?' }] }] });
    // The record of the message is no part of the turn: the code and its result go back, as written, before the text.
    expect(encodeGeminiRequest(next).contents).to.deep.equal([
      { role: 'user', parts: [{ text: '2**10?' }] },
      { role: 'model', parts: [CODE, RESULT, { text: '2**10 is 1024.' }] },
      { role: 'user', parts: [{ text: 'and 2**11?' }] },
    ]);
  });

  it('passes a malformed code execution part on as data, never failing on it; a null one is no part', () => {
    const odd = [{ executableCode: 'print(1)' }, { codeExecutionResult: 7 }, { executableCode: { code: ['x'] } }];
    const events = decode([frame([...odd, { executableCode: null }, { text: 'ok' }], { urlContextMetadata: 'pages' }, 'STOP')]);
    expect(content(events)).to.deep.equal([
      { type: 'hosted_tool', id: 'gh_r1_url_context', dialect: GEMINI, phase: 'done', scope: 'message', block: { urlContextMetadata: 'pages' } },
      ...odd.map((block, i) => ({ type: 'hosted_tool', id: `gh_r1_${i}`, dialect: GEMINI, phase: 'done', block })),
      { type: 'text_delta', text: 'ok' },
    ]);
    expect(content(decode([frame([{ text: 'x' }], { urlContextMetadata: null }, 'STOP')]))).to.deep.equal([{ type: 'text_delta', text: 'x' }]);
  });

  it('fails the attempt on a part or a URL context record nested too deep to serialise safely, before emitting anything of its frame', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) deep = { d: deep };
    const decoder = new GeminiStreamDecoder('b', []);
    const out: LipEvent[] = [];
    expect(thrownBy(() => decoder.frame(frame([{ text: 'x' }, { codeExecutionResult: { output: 'o', extra: deep } }]), out))).to.include({ code: 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED' });
    expect(out.filter((e) => e.type === 'text_delta')).to.deep.equal([]);
    expect(thrownBy(() => new GeminiStreamDecoder('b', []).frame(frame([{ text: 'x' }], { urlContextMetadata: deep }, 'STOP'), []))).to.include({ code: 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED' });
  });

  it('grounds an answer of URL context alone on its pages as citations, and reports no search (no query was made)', () => {
    const grounding = {
      groundingChunks: [{ web: { uri: 'https://a.example/', title: 'a.example' } }],
      groundingSupports: [{ segment: { startIndex: 4, endIndex: 9, text: 'read.' }, groundingChunkIndices: [0] }],
    };
    const last = frame([{ text: 'read.' }], { groundingMetadata: grounding }, 'STOP');
    const events = decode([frame([{ text: 'Né ' }], { urlContextMetadata: URLS }), last], true);
    expect(events.some((e) => e.type === 'web_search')).to.equal(false);
    expect(events.filter((e) => e.type === 'citation')).to.deep.equal([
      { type: 'citation', url: 'https://a.example/', title: 'a.example', citedText: 'read.', start: 3, end: 8, dialect: 'gemini.google_search' },
    ]);
    // Without the text kept (no search, no URL context declared) there is nothing to place a citation in.
    expect(decode([frame([{ text: 'Né ' }]), last]).some((e) => e.type === 'citation' || e.type === 'web_search')).to.equal(false);
  });

  it('counts the pages URL context read (toolUsePromptTokenCount) as input, as Google bills them', () => {
    const usage = decode([{ ...frame([{ text: 'x' }], {}, 'STOP'), usageMetadata: { promptTokenCount: 20, toolUsePromptTokenCount: 900, candidatesTokenCount: 5, totalTokenCount: 925 } }])
      .find((e) => e.type === 'usage');
    expect(usage).to.deep.equal({ type: 'usage', usage: { inputTokens: 920, outputTokens: 5, totalTokens: 925 } });
  });
});
