import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Response, ResponseItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';
import { openaiRejection as rejection } from '../helpers/openai-errors.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';

/** The Response object without `output_text`, which the SDK adds to what it reads. */
function wire(response: Response): Record<string, unknown> {
  const { output_text: _, ...rest } = response as Response & { output_text?: string };
  return rest;
}

/**
 * Stored Responses by id through the official SDK against a real lip on a socket:
 * `responses.retrieve`, `responses.inputItems.list` and `responses.delete`, scoped to the API
 * key's principal, on the memory store and on SQLite (the Redis store, shared by several
 * processes: spec/e2e/continuity-redis.spec.ts).
 */
for (const store of ['memory', 'sqlite'] as const) {
  describe(`e2e: stored Responses by id (${store} continuity)`, () => {
    let lip: RunningLip;
    let dir: string;
    let alice: OpenAI;
    let bob: OpenAI;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lip-stored-responses-'));
      lip = await startLip(testConfig(`
  - { id: a, kind: localstub, text: "Paris is the capital.", chunks: 3, input_tokens: 12, output_tokens: 5, reasoning: "Recall geography." }
  - { id: t, kind: localstub, text: "Checking.", tool_name: weather, tool_args: '{"city":"Paris"}', input_tokens: 7, output_tokens: 3 }
`, `routing: { default_route: "a:m" }
continuity: { store: ${store}, sqlite_path: "${join(dir, 'lip.db')}" }
auth: { api_keys: [ { id: alice, key: "${ALICE}" }, { id: bob, key: "${BOB}" } ] }`));
      alice = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: ALICE, maxRetries: 0 });
      bob = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: BOB, maxRetries: 0 });
    });
    after(async () => {
      await lip?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('retrieve answers the Response object the create answered (not streamed): ids, output, usage, echoed fields', async () => {
      const created = await alice.responses.create({ model: 'a:m', instructions: 'Be brief.', metadata: { ticket: 'T-1' }, input: 'Capital of France?' });
      const retrieved = await alice.responses.retrieve(created.id);
      expect(wire(retrieved)).to.deep.equal(wire(created));
      expect(retrieved.output_text).to.equal('Paris is the capital.');
      expect(retrieved).to.deep.include({ status: 'completed', instructions: 'Be brief.', metadata: { ticket: 'T-1' }, previous_response_id: null });
      expect(retrieved.usage).to.deep.include({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
      expect(retrieved.output.map((item) => item.type)).to.deep.equal(['reasoning', 'message']);
      // When it completed: kept with it, so a retrieval later shows the same second.
      expect(retrieved.completed_at).to.be.a('number').and.to.be.at.least(created.created_at);
    });

    it('the second a response completed is read once: with a clock that moves on a second at every read, retrieve shows the completed_at the create and the stream showed', async () => {
      const realNow = Date.now;
      let reads = 0;
      // Every read of the clock is a second later than the one before (a request that straddles a second, made certain).
      Date.now = () => realNow() + 1000 * ++reads;
      try {
        const created = await alice.responses.create({ model: 'a:m', input: 'Capital of France?' });
        const streamed = await alice.responses.create({ model: 'a:m', input: 'Capital of France?', stream: true });
        let completed: Response | undefined;
        for await (const event of streamed) if (event.type === 'response.completed') completed = event.response;
        expect(reads).to.be.above(2);
        for (const answered of [created, completed!]) {
          const retrieved = await alice.responses.retrieve(answered.id);
          expect(retrieved.completed_at).to.be.a('number').and.to.equal(answered.completed_at);
          expect(wire(retrieved)).to.deep.equal(wire(answered));
        }
      } finally {
        Date.now = realNow;
      }
    });

    it('continuing with a tool output for a call the stored conversation never made is a 400 naming its call_id; the call it made is answered', async () => {
      const asked = await alice.responses.create({ model: 't:m', input: 'Weather in Paris?' });
      const call = asked.output.find((item) => item.type === 'function_call') as { call_id: string } | undefined;
      const err = await rejection(alice.responses.create({ model: 'a:m', previous_response_id: asked.id, input: [{ type: 'message', role: 'user', content: 'and?' }, { type: 'function_call_output', call_id: 'call_never_made', output: 'sunny' }] }));
      expect(err.status).to.equal(400);
      expect(err.error).to.deep.include({ type: 'invalid_request_error', param: 'input[1].call_id' });
      expect(err.message).to.contain('"call_never_made" answers no tool call of the conversation it continues');
      const answered = await alice.responses.create({ model: 'a:m', previous_response_id: asked.id, input: [{ type: 'function_call_output', call_id: call!.call_id, output: 'sunny' }] });
      expect(answered.status).to.equal('completed');
    });

    it('retrieve answers the Response object a stream completed with, tool calls and previous_response_id included', async () => {
      const first = await alice.responses.create({ model: 'a:m', input: 'Capital of France?' });
      const events: ResponseStreamEvent[] = [];
      for await (const event of await alice.responses.create({ model: 't:m', previous_response_id: first.id, input: 'Weather there?', stream: true })) events.push(event);
      const completed = events.find((e) => e.type === 'response.completed') as { response: Response } | undefined;
      const retrieved = await alice.responses.retrieve(completed!.response.id);
      expect(wire(retrieved)).to.deep.equal(completed!.response);
      expect(retrieved.previous_response_id).to.equal(first.id);
      expect(retrieved.output.map((item) => [item.type, item.id])).to.deep.equal(completed!.response.output.map((item) => [item.type, item.id]));
      expect(retrieved.output.at(-1)).to.deep.include({ type: 'function_call', name: 'weather', arguments: '{"city":"Paris"}' });
    });

    it('lists the input items newest first, oldest first with order=asc, and pages with limit and after', async () => {
      const created = await alice.responses.create({
        model: 'a:m',
        input: [
          { role: 'developer', content: 'Answer in English.' },
          { role: 'user', content: 'Weather in Paris?' },
          { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call_output', call_id: 'call_1', output: '18C' },
          { role: 'user', content: [{ type: 'input_text', text: 'And tomorrow?' }] },
        ],
      });
      const newest = await alice.responses.inputItems.list(created.id);
      expect(newest.data.map((item) => item.type)).to.deep.equal(['message', 'function_call_output', 'function_call', 'message', 'message']);
      expect(newest.data[0]).to.deep.include({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And tomorrow?' }] });
      expect(newest.data.at(-1)).to.deep.include({ role: 'system', content: [{ type: 'input_text', text: 'Answer in English.' }] });
      expect(newest.data[1]).to.deep.include({ call_id: 'call_1', output: '18C' });
      expect(newest.has_more).to.equal(false);

      const pages: string[][] = [];
      let page = await alice.responses.inputItems.list(created.id, { order: 'asc', limit: 2 });
      for (;;) {
        pages.push(page.data.map((item) => item.id!));
        if (!page.hasNextPage()) break;
        page = await page.getNextPage();
      }
      const ascending = [...newest.data].reverse().map((item) => item.id);
      expect(pages).to.deep.equal([ascending.slice(0, 2), ascending.slice(2, 4), ascending.slice(4)]);
      const all: ResponseItem[] = [];
      for await (const item of alice.responses.inputItems.list(created.id, { limit: 1 })) all.push(item);
      expect(all.map((item) => item.id)).to.deep.equal(newest.data.map((item) => item.id));
      const after = await alice.responses.inputItems.list(created.id, { order: 'asc', after: ascending[2]!, limit: 100 });
      expect(after.data.map((item) => item.id)).to.deep.equal(ascending.slice(3));

      expect((await rejection(alice.responses.inputItems.list(created.id, { limit: 0 }))).status).to.equal(400);
      const unknown = await rejection(alice.responses.inputItems.list(created.id, { after: 'msg_nope' }));
      expect([unknown.status, unknown.param]).to.deep.equal([400, 'after']);
    });

    it('delete answers response.deleted; then retrieve, input_items, a second delete and previous_response_id are 404', async () => {
      const created = await alice.responses.create({ model: 'a:m', input: 'Capital of France?' });
      const raw = await httpRequest(`${lip.url}/v1/responses/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ALICE}` } });
      expect([raw.status, JSON.parse(raw.body), raw.headers['cache-control']]).to.deep.equal([200, { id: created.id, object: 'response.deleted', deleted: true }, 'no-store']);
      for (const [gone, code] of [
        [() => alice.responses.retrieve(created.id), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND'],
        [() => alice.responses.inputItems.list(created.id), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND'],
        [() => alice.responses.delete(created.id), 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND'],
        // A continuation's is coded as OpenAI codes it (clients resend their whole input on it).
        [() => alice.responses.create({ model: 'a:m', previous_response_id: created.id, input: 'More?' }), 'previous_response_not_found'],
      ] as const) {
        const err = await rejection(gone());
        expect(err).to.be.instanceOf(OpenAI.NotFoundError);
        expect(err.code).to.equal(code);
      }
      const answer = await httpRequest(`${lip.url}/v1/responses/${created.id}`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } });
      expect(JSON.parse(answer.body)).to.deep.equal({
        error: { message: `Response with id '${created.id}' not found.`, type: 'not_found_error', param: null, code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' },
      });
      const fresh = await alice.responses.create({ model: 'a:m', input: 'Again?' });
      await alice.responses.delete(fresh.id); // the SDK's own call resolves
      expect(await rejection(alice.responses.retrieve(fresh.id))).to.be.instanceOf(OpenAI.NotFoundError);
    });

    it('deleting a response in a chain keeps the later ones readable; continuing through it is a 404 naming it', async () => {
      const one = await alice.responses.create({ model: 'a:m', input: 'one' });
      const two = await alice.responses.create({ model: 'a:m', previous_response_id: one.id, input: 'two' });
      const three = await alice.responses.create({ model: 'a:m', previous_response_id: two.id, input: 'three' });
      await alice.responses.delete(two.id);
      expect((await alice.responses.retrieve(three.id)).previous_response_id).to.equal(two.id);
      expect((await alice.responses.inputItems.list(three.id)).data).to.have.length(1);
      const err = await rejection(alice.responses.create({ model: 'a:m', previous_response_id: three.id, input: 'four' }));
      expect([err.status, err.param]).to.deep.equal([404, 'previous_response_id']);
      expect(err.message).to.include(`Its earlier response '${two.id}' is no longer stored`);
      expect((await alice.responses.create({ model: 'a:m', previous_response_id: one.id, input: 'again' })).status).to.equal('completed');
    });

    it('another principal gets the 404 of an unknown id, for every verb, and cannot delete it', async () => {
      const created = await alice.responses.create({ model: 'a:m', input: 'mine' });
      const attempts = [
        () => bob.responses.retrieve(created.id), () => bob.responses.inputItems.list(created.id), () => bob.responses.delete(created.id), () => bob.responses.retrieve('resp_unknown'),
      ];
      for (const attempt of attempts) {
        const err = await rejection(attempt());
        expect([err.status, err.code]).to.deep.equal([404, 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND']);
      }
      expect((await alice.responses.retrieve(created.id)).id).to.equal(created.id);
      const keyless = await httpRequest(`${lip.url}/v1/responses/${created.id}`, { method: 'GET' });
      expect([keyless.status, keyless.headers['www-authenticate'], JSON.parse(keyless.body).error.code]).to.deep.equal([401, 'Bearer realm="lip"', 'LIP_ERR_AUTH_MISSING_KEY']);
    });

    it('a store: false response is not retrievable (404), nor are its input items', async () => {
      const unstored = await alice.responses.create({ model: 'a:m', input: 'x', store: false });
      expect((await rejection(alice.responses.retrieve(unstored.id))).status).to.equal(404);
      expect((await rejection(alice.responses.inputItems.list(unstored.id))).status).to.equal(404);
    });

    it('retrieve with stream=true of a response that ran in its request is a 400 naming stream (it has no stream kept); an unknown id the 404', async () => {
      const created = await alice.responses.create({ model: 'a:m', input: 'x' });
      const err = await rejection(alice.responses.retrieve(created.id, { stream: true }));
      expect([err.status, err.param, err.code]).to.deep.equal([400, 'stream', 'LIP_ERR_REQUEST_INVALID']);
      expect((await rejection(alice.responses.retrieve('resp_unknown', { stream: true }))).status).to.equal(404);
    });

    it('other methods are 405 with Allow in OpenAI\'s envelope; POST /v1/responses/{id}/cancel still answers', async () => {
      const headers = { authorization: `Bearer ${ALICE}` };
      const put = await httpRequest(`${lip.url}/v1/responses/resp_x`, { method: 'PUT', headers, body: '{}' });
      expect([put.status, put.headers.allow, JSON.parse(put.body).error.code]).to.deep.equal([405, 'GET, DELETE', 'LIP_ERR_HTTP_METHOD_NOT_ALLOWED']);
      const post = await httpRequest(`${lip.url}/v1/responses/anything-else`, { method: 'POST', headers, body: '{}' });
      expect([post.status, post.headers.allow, JSON.parse(post.body).error.code]).to.deep.equal([405, 'GET, DELETE', 'LIP_ERR_HTTP_METHOD_NOT_ALLOWED']);
      const items = await httpRequest(`${lip.url}/v1/responses/resp_x/input_items`, { method: 'DELETE', headers });
      expect([items.status, items.headers.allow]).to.deep.equal([405, 'GET']);
      const cancel = await httpRequest(`${lip.url}/v1/responses/resp_x/cancel`, { method: 'POST', headers });
      expect([cancel.status, JSON.parse(cancel.body).error.code]).to.deep.equal([401, 'LIP_ERR_CANCEL_IDENTITY_MISSING']);
    });
  });
}
