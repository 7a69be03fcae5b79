import { expect } from 'chai';
import { createContinuityStore, type ContinuityStore } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { openAIFileRoutes } from '../../lib/frontends/openai-chat/batches.js';
import { BatchFileStore, CONTENT_PART } from '../../lib/server/files.js';
import { storedResponses } from '../../lib/server/stored-responses.js';
import { refusal as refused } from '../helpers/lip-errors.js';

type Json = Record<string, any>;

const DAY = 86_400_000;
const upload = (text: string | Uint8Array, name = 'in.jsonl', fields: Record<string, string> = { purpose: 'batch' }) =>
  ({ fields, file: { name, bytes: typeof text === 'string' ? new TextEncoder().encode(text) : text } });


/**
 * The files of the batch engine (lib/server/files.ts) on the memory continuity store: uploads
 * kept as UTF-8 text, their objects, lists in both orders and by purpose, expiry on a moved
 * clock, the caller's scope and cap, deletes, and a batch's results' files (records naming the
 * batch, no text of their own).
 */
describe('server/files', () => {
  let store: ContinuityStore;
  let clock: number;
  const files = (principal = 'alice') => new BatchFileStore(openAIFileRoutes, storedResponses(store, principal), () => clock);
  beforeEach(() => {
    // Now, to the second: a request's resolution of a file id (storedResponses().file) reads the
    // store on the wall clock, so a fixed date here would expire the test's files once it passed.
    clock = Math.floor(Date.now() / 1000) * 1000;
    store = createContinuityStore({ store: 'memory', sqlite_path: './unused.db', ttl: 30 * DAY, max_legs: 1_000 });
  });
  afterEach(() => store.close());

  it('keeps an upload and answers its object, its text and its content', async () => {
    const made = await files().upload(upload('{"a":1}\n{"b":"é"}\n'), 1024, DAY) as Json;
    expect(made).to.deep.include({ object: 'file', bytes: 19, filename: 'in.jsonl', purpose: 'batch', created_at: clock / 1000, expires_at: (clock + DAY) / 1000, status: 'processed' });
    expect(made.id).to.match(/^file-[A-Za-z0-9]{24}$/);
    expect(await files().retrieve(made.id)).to.deep.equal(made);
    expect(await files().text(made.id, 'input_file_id')).to.equal('{"a":1}\n{"b":"é"}\n');
    expect(await files().content(made.id)).to.deep.equal({ text: '{"a":1}\n{"b":"é"}\n' });
    // A byte order mark is kept: the content is answered as it was sent.
    const marked = await files().upload(upload('\uFEFF{"a":1}\n'), 1024, DAY) as Json;
    expect(marked.bytes).to.equal(11);
    expect(await files().text(marked.id, 'input_file_id')).to.equal('\uFEFF{"a":1}\n');
    // expires_after shortens its life (never beyond what the store keeps).
    const short = await files().upload(upload('x', 'a', { purpose: 'batch', 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '3600' }), 1024, DAY) as Json;
    expect(short.expires_at).to.equal(clock / 1000 + 3600);
    const capped = await files().upload(upload('x', 'a', { purpose: 'batch', 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '2592000' }), 1024, DAY) as Json;
    expect(capped.expires_at).to.equal((clock + DAY) / 1000);
  });

  it('refuses an upload beyond the size limit, of bytes that are not UTF-8, and past the cap', async () => {
    expect(await refused(files().upload(upload('x'.repeat(11)), 10, DAY))).to.include({ code: 'LIP_ERR_REQUEST_TOO_LARGE', status: 413, param: 'file', message: 'file: 11 bytes is more than this server keeps (server.max_batch_body_bytes: 10)' });
    expect(await refused(files().upload(upload(new Uint8Array([0xff, 0xfe])), 10, DAY))).to.include({ code: 'LIP_ERR_REQUEST_INVALID', message: 'file: must be UTF-8 text (JSON lines)' });
    await files().upload(upload('a'), 10, DAY, 2);
    await files().upload(upload('b'), 10, DAY, 2);
    expect(await refused(files().upload(upload('c'), 10, DAY, 2))).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', message: 'this caller keeps 2 files already; delete some first' });
    // Another caller has a cap of their own.
    await files('bob').upload(upload('c'), 10, DAY, 2);
    // An expired file no longer counts.
    clock += DAY;
    await files().upload(upload('d'), 10, DAY, 2);
    expect(((await files().list(new URLSearchParams())) as Json).data).to.have.length(1);
  });

  it('lists newest first or oldest first, after an id, by purpose; only the caller\'s', async () => {
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      ids.push(((await files().upload(upload(name, name), 10, DAY)) as Json).id);
      clock += 1000;
    }
    const results = await files().saveResults('batch_1', { output: 5, error: 0 }, clock, DAY);
    const page = async (q: string, who = 'alice') => {
      const p = await files(who).list(new URLSearchParams(q)) as Json;
      return { ids: p.data.map((f: Json) => f.id), has_more: p.has_more, first_id: p.first_id, last_id: p.last_id };
    };
    expect((await page('')).ids).to.deep.equal([results.output, ids[2], ids[1], ids[0]]);
    expect((await page('order=asc')).ids).to.deep.equal([ids[0], ids[1], ids[2], results.output]);
    expect(await page('purpose=batch&limit=2')).to.deep.equal({ ids: [ids[2], ids[1]], has_more: true, first_id: ids[2], last_id: ids[1] });
    expect(await page(`purpose=batch&limit=2&after=${ids[1]}`)).to.deep.equal({ ids: [ids[0]], has_more: false, first_id: ids[0], last_id: ids[0] });
    expect((await page('purpose=batch_output')).ids).to.deep.equal([results.output]);
    expect(await page('', 'bob')).to.deep.equal({ ids: [], has_more: false, first_id: null, last_id: null });
    for (const id of ids) expect(await refused(files('bob').retrieve(id))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', status: 404, param: 'file_id' });
  });

  it('forgets a file past its expiry, and a deleted one', async () => {
    const made = await files().upload(upload('x', 'a', { purpose: 'batch', 'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '3600' }), 10, DAY) as Json;
    const kept = await files().upload(upload('y'), 10, DAY) as Json;
    clock += 3_600_000 - 1;
    expect(await files().retrieve(made.id)).to.include({ id: made.id });
    clock += 1;
    expect(await refused(files().retrieve(made.id))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND', message: `no file with id ${made.id}` });
    expect(await refused(files().text(made.id, 'input_file_id'))).to.include({ param: 'input_file_id' });
    expect(((await files().list(new URLSearchParams())) as Json).data.map((f: Json) => f.id)).to.deep.equal([kept.id]);
    expect(await files().delete(kept.id)).to.deep.equal({ id: kept.id, object: 'file', deleted: true });
    expect(await refused(files().retrieve(kept.id))).to.include({ status: 404 });
    expect(await refused(files().delete(kept.id))).to.include({ status: 404 });
    expect(await refused(storedResponses(store, 'alice').load(`${kept.id}/content`))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' });
    // Ids of another shape are not looked up.
    expect(await refused(files().retrieve(`${kept.id}/content`))).to.include({ status: 404 });
  });

  it("keeps a large file's content in records of a mebibyte, each written and read in a turn of the event loop of its own; a delete removes every one", async () => {
    // Found by the batches probe: a 30 MiB upload was serialised (and a batch's create parsed it) in one piece, the event loop held for a second.
    let turns = 0;
    let counting = true;
    const turn = () => {
      turns++;
      if (counting) setImmediate(turn);
    };
    const counted = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      turns = 0;
      counting = true;
      setImmediate(turn);
      const result = await work();
      counting = false;
      return [result, turns];
    };
    // A character of two UTF-16 units across the first record's end, a line break in the last.
    const text = `${'a'.repeat(CONTENT_PART - 1)}\u{1F600}${'b'.repeat(CONTENT_PART)}é\n`;
    const [made, uploadTurns] = await counted(async () => await files().upload(upload(text), 8 * CONTENT_PART, DAY) as Json);
    expect(made.bytes).to.equal(Buffer.byteLength(text));
    expect(uploadTurns).to.be.at.least(2);
    const stored = (k: string) => storedResponses(store, 'alice').load(`${made.id}/${k}`);
    for (const k of ['content', 'content-1', 'content-2']) expect((await stored(k)).echo?.lip_file_content).to.be.a('string');
    expect(await refused(stored('content-3'))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' });
    const [read, readTurns] = await counted(() => files().text(made.id, 'input_file_id'));
    expect(read === text).to.equal(true);
    expect(readTurns).to.be.at.least(2);
    // Bytes too (their base64, a record a mebibyte of it).
    const bytes = new Uint8Array(CONTENT_PART + 5).map((_, i) => i % 251);
    const binary = await files().upload(upload(bytes, 'scan.pdf', { purpose: 'user_data' }), 8 * CONTENT_PART, DAY) as Json;
    expect(await files().content(binary.id)).to.deep.equal({ bytes: Buffer.from(bytes), mediaType: 'application/pdf' });
    await files().delete(made.id);
    for (const k of ['content', 'content-1', 'content-2']) expect(await refused(stored(k))).to.include({ code: 'LIP_ERR_CONTINUITY_RESPONSE_NOT_FOUND' });
  });

  it('keeps a file of bytes (not a batch\'s input) as it was sent, for requests to name by id', async () => {
    const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0xff, 0x00, 0xfe]);
    const made = await files().upload(upload(bytes, 'scan.pdf', { purpose: 'user_data' }), 1024, DAY) as Json;
    expect(made).to.include({ purpose: 'user_data', bytes: 7, filename: 'scan.pdf' });
    expect(await files().content(made.id)).to.deep.equal({ bytes: Buffer.from(bytes), mediaType: 'application/pdf' });
    expect(await files().inline(made.id)).to.deep.equal({ filename: 'scan.pdf', mediaType: 'application/pdf', data: Buffer.from(bytes).toString('base64') });
    // Through the caller's stored responses, as a request's resolution reads it; nobody else's.
    expect(await storedResponses(store, 'alice').file!(made.id)).to.deep.include({ mediaType: 'application/pdf' });
    expect(await storedResponses(store, 'bob').file!(made.id)).to.equal(undefined);
    expect(await refused(files().text(made.id, 'input_file_id'))).to.include({ code: 'LIP_ERR_REQUEST_INVALID', message: `input_file_id: ${made.id} is a file of purpose user_data, not a batch's input lines` });
    // A batch's input (text) is no file a request puts inline.
    const lines = await files().upload(upload('{}'), 1024, DAY) as Json;
    expect(await files().inline(lines.id)).to.equal(undefined);
    expect(await files().inline('file-none')).to.equal(undefined);
  });

  it("makes a batch's results' files, one per kind that has lines, whose content is the batch's", async () => {
    const made = await files().saveResults('batch_9', { output: 120, error: 40 }, clock, 2 * DAY);
    expect(Object.keys(made).sort()).to.deep.equal(['error', 'output']);
    expect(await files().retrieve(made.output!)).to.deep.include({ bytes: 120, filename: 'batch_9_output.jsonl', purpose: 'batch_output', expires_at: (clock + 2 * DAY) / 1000 });
    expect(await files().retrieve(made.error!)).to.deep.include({ bytes: 40, filename: 'batch_9_error.jsonl', purpose: 'batch_output' });
    expect(await files().content(made.output!)).to.deep.equal({ batch: { id: 'batch_9', kind: 'output' } });
    expect(await files().content(made.error!)).to.deep.equal({ batch: { id: 'batch_9', kind: 'error' } });
    expect(await refused(files().text(made.output!, 'input_file_id'))).to.include({ code: 'LIP_ERR_REQUEST_INVALID', message: `input_file_id: ${made.output!} holds the results of a batch, not input lines` });
    expect(await files().saveResults('batch_10', { output: 0, error: 7 }, clock, DAY)).to.have.all.keys('error');
    expect(await files().saveResults('batch_11', { output: 0, error: 0 }, clock, DAY)).to.deep.equal({});
  });
});
