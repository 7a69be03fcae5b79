import { expect } from 'chai';
import { geminiFrontend } from '../../lib/frontends/gemini/index.js';
import { openaiChatFrontend } from '../../lib/frontends/openai-chat/index.js';
import { openaiResponsesFrontend } from '../../lib/frontends/openai-responses/index.js';
import type { Frontend } from '../../lib/frontends/protocol.js';
import { RouteTable, type RouteMatch } from '../../lib/server/route-table.js';

/** What a match says, without the objects it carries. */
function shape(match: RouteMatch): Record<string, unknown> {
  switch (match.kind) {
    case 'stored_response': return { kind: match.kind, action: match.action, id: match.id, group: match.group };
    case 'cancel': return { kind: match.kind, target: match.target, id: match.id, group: match.group };
    case 'method_not_allowed': return { kind: match.kind, allow: match.allow, group: match.group };
    case 'embeddings': return { kind: match.kind, frontend: match.frontend.id, params: match.params, group: match.group };
    case 'resource': return { kind: match.kind, method: match.route.method, params: match.params, group: match.group };
    case 'model': return { kind: match.kind, id: match.id, group: match.group };
    default: return { kind: match.kind, group: match.group };
  }
}

/** A protocol with a templated POST route whose paths look like `/v1/responses/{id}`. */
const templated: Frontend = {
  ...openaiResponsesFrontend, id: 'templated', modelRoutes: [],
  routes: [{ ...openaiResponsesFrontend.routes[0]!, path: '/v1/responses/{verb}', match: (p) => (p === '/v1/responses/rewind' ? { verb: 'rewind' } : undefined) }],
};

describe('server/RouteTable', () => {
  const table = new RouteTable([openaiResponsesFrontend]);
  const match = (method: string, path: string) => shape(table.match(method, path));

  it('serves stored Responses by id: GET and DELETE /v1/responses/{id}, GET .../input_items, beside POST .../cancel', () => {
    expect(match('GET', '/v1/responses/resp_1')).to.deep.equal({ kind: 'stored_response', action: 'retrieve', id: 'resp_1', group: '/v1/responses/{id}' });
    expect(match('HEAD', '/v1/responses/resp_1')).to.deep.include({ action: 'retrieve' });
    expect(match('DELETE', '/v1/responses/resp_1')).to.deep.equal({ kind: 'stored_response', action: 'delete', id: 'resp_1', group: '/v1/responses/{id}' });
    expect(match('GET', '/v1/responses/resp_1/input_items')).to.deep.equal({ kind: 'stored_response', action: 'input_items', id: 'resp_1', group: '/v1/responses/{id}/input_items' });
    expect(match('POST', '/v1/responses/resp_1/cancel')).to.deep.equal({ kind: 'cancel', target: 'response', id: 'resp_1', group: '/v1/responses/{id}/cancel' });
    expect(match('POST', '/v1/responses')).to.deep.equal({ kind: 'generate', group: '/v1/responses' });
  });

  it('routes a protocol\'s own resources by template (the Conversations API), each {name} one path segment', () => {
    expect(match('POST', '/v1/conversations')).to.deep.equal({ kind: 'resource', method: 'POST', params: {}, group: '/v1/conversations' });
    expect(match('GET', '/v1/conversations/conv_1')).to.deep.equal({ kind: 'resource', method: 'GET', params: { conversation_id: 'conv_1' }, group: '/v1/conversations/{conversation_id}' });
    expect(match('DELETE', '/v1/conversations/conv_1/items/msg_2')).to.deep.equal({
      kind: 'resource', method: 'DELETE', params: { conversation_id: 'conv_1', item_id: 'msg_2' }, group: '/v1/conversations/{conversation_id}/items/{item_id}',
    });
    expect(match('PUT', '/v1/conversations/conv_1/items')).to.deep.equal({ kind: 'method_not_allowed', allow: 'POST, GET', group: '/v1/conversations/{conversation_id}/items' });
    expect(match('GET', '/v1/conversations//items')).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
    expect(match('GET', '/v1/conversations/conv_1/items/msg_2/more')).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
  });

  it('answers another method with 405 allowing every method of the path\'s templates, and an id with a slash matches none', () => {
    expect(match('PUT', '/v1/responses/resp_1')).to.deep.equal({ kind: 'method_not_allowed', allow: 'GET, DELETE', group: '/v1/responses/{id}' });
    expect(match('POST', '/v1/responses/anything-else')).to.deep.equal({ kind: 'method_not_allowed', allow: 'GET, DELETE', group: '/v1/responses/{id}' });
    expect(match('GET', '/v1/responses/resp_1/cancel')).to.deep.include({ kind: 'method_not_allowed', allow: 'POST' });
    expect(match('DELETE', '/v1/responses/resp_1/input_items')).to.deep.include({ kind: 'method_not_allowed', allow: 'GET' });
    expect(match('GET', '/v1/responses')).to.deep.include({ kind: 'method_not_allowed', allow: 'POST' });
    expect(match('GET', '/v1/responses/a/b')).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
    expect(match('GET', '/v1/responses/')).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
  });

  it('never takes POST /v1/responses/input_tokens from the count route (an exact path) nor from a template of another method', () => {
    const both = new RouteTable([openaiResponsesFrontend]);
    expect(shape(both.match('POST', '/v1/responses/input_tokens'))).to.deep.equal({ kind: 'count_tokens', group: '/v1/responses/input_tokens' });
    expect(shape(both.match('GET', '/v1/responses/input_tokens'))).to.deep.include({ kind: 'method_not_allowed', allow: 'POST' });
    expect(shape(both.match('GET', '/v1/responses/resp_1'))).to.deep.include({ action: 'retrieve' });
    const after = new RouteTable([openaiResponsesFrontend, templated]);
    expect(shape(after.match('POST', '/v1/responses/rewind'))).to.deep.equal({ kind: 'generate', group: '/v1/responses/{verb}' });
    expect(shape(after.match('PUT', '/v1/responses/rewind'))).to.deep.include({ kind: 'method_not_allowed', allow: 'GET, DELETE, POST' });
    expect(shape(after.match('GET', '/v1/responses/rewind'))).to.deep.include({ kind: 'stored_response', action: 'retrieve', id: 'rewind' });
    // The compaction route is an exact path: no template takes it.
    expect(shape(both.match('POST', '/v1/responses/compact'))).to.deep.equal({ kind: 'generate', group: '/v1/responses/compact' });
  });

  it('routes the embeddings endpoints to their protocols (OpenAI exact, Gemini templates with the model), POST only', () => {
    const all = new RouteTable([openaiChatFrontend, openaiResponsesFrontend, geminiFrontend]);
    expect(shape(all.match('POST', '/v1/embeddings'))).to.deep.equal({ kind: 'embeddings', frontend: 'openai-chat', params: {}, group: '/v1/embeddings' });
    expect(shape(all.match('GET', '/v1/embeddings'))).to.deep.include({ kind: 'method_not_allowed', allow: 'POST' });
    expect(shape(all.match('POST', '/v1beta/models/gem:text-embedding-004:embedContent')))
      .to.deep.equal({ kind: 'embeddings', frontend: 'gemini', params: { model: 'gem:text-embedding-004' }, group: '/v1beta/models/{model}:embedContent' });
    expect(shape(all.match('POST', '/v1/models/e:batchEmbedContents')))
      .to.deep.equal({ kind: 'embeddings', frontend: 'gemini', params: { model: 'e' }, group: '/v1beta/models/{model}:batchEmbedContents' });
    expect(shape(all.match('POST', '/v1beta/models/e:generateContent'))).to.deep.include({ kind: 'generate' });
    // Without the protocol that owns it, the path is no route.
    expect(shape(new RouteTable([openaiResponsesFrontend]).match('POST', '/v1/embeddings'))).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
  });

  it('takes the whole rest of the path after models/ as the model of GET models/{id}, slashes and all; a Gemini method is still the method', () => {
    const all = new RouteTable([openaiChatFrontend, geminiFrontend]);
    expect(shape(all.match('GET', '/v1beta/models/stub:meta/llama-3'))).to.deep.equal({ kind: 'model', id: 'stub:meta/llama-3', group: '/v1beta/models/{id}' });
    expect(shape(all.match('GET', '/v1/models/stub:meta/llama-3'))).to.deep.equal({ kind: 'model', id: 'stub:meta/llama-3', group: '/v1/models/{id}' });
    expect(shape(all.match('GET', '/v1/models/stub%3Ameta%2Fllama-3'))).to.deep.equal({ kind: 'model', id: 'stub:meta/llama-3', group: '/v1/models/{id}' });
    expect(shape(all.match('GET', '/v1beta/models/gemini-2.5-flash'))).to.deep.equal({ kind: 'model', id: 'gemini-2.5-flash', group: '/v1beta/models/{id}' });
    expect(shape(all.match('POST', '/v1beta/models/stub:meta/llama-3:generateContent'))).to.deep.include({ kind: 'generate' });
    expect(shape(all.match('GET', '/v1beta/models/stub:meta/llama-3:generateContent'))).to.deep.include({ kind: 'method_not_allowed', allow: 'POST' });
    expect(shape(all.match('POST', '/v1beta/models/stub:meta/llama-3'))).to.deep.equal({ kind: 'method_not_allowed', allow: 'GET', group: '/v1beta/models/{id}' });
    // A custom method no route has (Imagen's `:predict`) is no route, not another method of the model `stub:meta/llama-3:predict`.
    expect(shape(all.match('POST', '/v1beta/models/stub:meta/llama-3:predict'))).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
    expect(shape(all.match('POST', '/v1/models/imagen-4%3ApredictLongRunning'))).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
    expect(shape(all.match('GET', '/v1beta/models/'))).to.deep.equal({ kind: 'not_found', group: 'unmatched' });
  });
});
