import { expect } from 'chai';
import { anthropicOptions, encodeAnthropicRequest } from '../../lib/backends/anthropic/index.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeOpenResponsesRequest, encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { MEDIA_DIALECTS, emptyCall, type Call, type FilePart, type Message } from '../../lib/canonical/index.js';
import { refusalOf } from '../helpers/refusal.js';

const options = responsesOptions({ id: 'or', kind: 'openai-responses', models: [] });
/** Every HTTP backend's request encoder but gemini's, by the name its refusals give. */
const ENCODERS: { readonly name: string; readonly encode: (c: Call) => unknown }[] = [
  { name: 'anthropic', encode: (c) => encodeAnthropicRequest(c, 'claude', anthropicOptions({ id: 'an', kind: 'anthropic', models: [] })) },
  { name: 'openai-responses', encode: (c) => encodeResponsesRequest(c, 'gpt', options) },
  { name: 'open', encode: (c) => encodeOpenResponsesRequest(c, 'm', options, 'open') },
  { name: 'openai-chat backend "oc"', encode: (c) => encodeChatRequest(c, 'gpt', chatOptions({ id: 'oc', kind: 'openai-chat', models: [] })) },
  { name: 'openai-codex', encode: (c) => encodeCodexRequest(c, 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }) },
  { name: 'bedrock', encode: (c) => encodeBedrockRequest(c, 'anthropic') },
];

const clip: FilePart = {
  type: 'file', data: 'AAAA', mediaType: 'video/mp4',
  providerFields: { dialect: MEDIA_DIALECTS.gemini, value: { videoMetadata: { startOffset: '10s', endOffset: '20s' }, mediaResolution: { level: 'MEDIA_RESOLUTION_LOW' } } },
};
const ask: Message = { role: 'user', parts: [{ type: 'text', text: 'What happens?' }] };
const PLACES: Record<string, Message[]> = {
  'a user turn': [{ role: 'user', parts: [clip, { type: 'text', text: 'What happens?' }] }],
  'an assistant turn': [ask, { role: 'assistant', parts: [clip] }, ask],
  'a tool result': [ask, { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'film', arguments: '{}' }] }, { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [clip] }] }],
};

/**
 * A Gemini client's videoMetadata (the stretch of a video the model reads, its frame rate) only
 * Gemini reads: every other backend refuses a call that holds it anywhere before sending,
 * retryably (a route moves on to a gemini candidate), naming the field, rather than have its model
 * read the whole video; a gemini backend writes the part's fields back beside it.
 */
describe('backends/media-refusal: refuseForeignMediaFields', () => {
  for (const { name, encode } of ENCODERS) {
    it(`${name} refuses videoMetadata in a user turn, an assistant turn and a tool result, retryable`, () => {
      for (const messages of Object.values(PLACES)) {
        const error = refusalOf(() => encode(emptyCall({ model: 'm', messages })));
        expect(error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
        expect(error.message).to.equal(`${name} cannot read a stretch of a video, at a frame rate (videoMetadata); route it to a backend that reads it (gemini)`);
        expect(error.detail).to.deep.equal({ backend: name, fields: ['videoMetadata'] });
      }
    });
  }

  it('gemini writes the fields back beside the part, as written', () => {
    const body = encodeGeminiRequest(emptyCall({ model: 'm', messages: PLACES['an assistant turn']! })) as Record<string, any>;
    expect(body.contents[1]).to.deep.equal({ role: 'model', parts: [{ inlineData: { mimeType: 'video/mp4', data: 'AAAA' }, ...clip.providerFields!.value }] });
  });

  it('fields that are hints only (mediaResolution), or of another dialect, are no refusal', () => {
    const hinted: FilePart = { ...clip, providerFields: { dialect: MEDIA_DIALECTS.gemini, value: { mediaResolution: { level: 'MEDIA_RESOLUTION_LOW' } } } };
    const other: FilePart = { ...clip, mediaType: 'application/pdf', providerFields: { dialect: 'other.part', value: { videoMetadata: {} } } };
    const body = encodeAnthropicRequest(emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ ...hinted, mediaType: 'application/pdf' }, other, { type: 'text', text: 'read' }] }] }), 'claude', anthropicOptions({ id: 'an', kind: 'anthropic', models: [] })) as Record<string, any>;
    expect(JSON.stringify(body.messages)).not.to.contain('mediaResolution').and.not.to.contain('videoMetadata');
  });
});
