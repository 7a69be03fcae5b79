import { expect } from 'chai';
import { formParts } from '../../lib/wire/form-data.js';
import { refusal } from '../helpers/lip-errors.js';

/** A body and its content type as the platform's FormData serialises them (what the SDKs send). */
async function serialised(form: FormData): Promise<{ raw: Buffer; type: string }> {
  const request = new Request('http://lip.test/v1/files', { method: 'POST', body: form });
  return { raw: Buffer.from(await request.arrayBuffer()), type: request.headers.get('content-type')! };
}

describe('wire/form-data', () => {
  it('reads what Response.formData() reads: fields, files with their names and types, names a browser escapes', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob(['{"a":1}\n{"b":2}\n'], { type: 'Application/JSONL' }), 'in "quoted"\nname.jsonl');
    form.append('note', 'ünïcødé\r\nline');
    form.append('other', new Blob([new Uint8Array([0, 255, 13, 10])]), 'bytes.bin');
    const { raw, type } = await serialised(form);
    const expected = [...await new Response(raw, { headers: { 'content-type': type } }).formData()];
    const parts = formParts(raw, type);
    expect(parts.map((p) => p.name)).to.deep.equal(expected.map(([name]) => name));
    for (const [i, [, value]] of expected.entries()) {
      const part = parts[i]!;
      if (typeof value === 'string') {
        expect(part.filename).to.equal(undefined);
        expect(part.body.toString('utf8')).to.equal(value);
      } else {
        expect([part.filename, part.type]).to.deep.equal([value.name, value.type]);
        expect(part.body.equals(Buffer.from(await value.arrayBuffer()))).to.equal(true);
      }
    }
  });

  it("gives each part's body as a view of the form's bytes: nothing copied", async () => {
    const form = new FormData();
    form.append('file', new Blob(['x'.repeat(100_000)]), 'big.jsonl');
    const { raw, type } = await serialised(form);
    const [file] = formParts(raw, type);
    expect(file!.body.buffer).to.equal(raw.buffer);
    expect(file!.body.byteLength).to.equal(100_000);
  });

  it("ignores a preamble and an epilogue; takes filename* over filename; a file's type defaults to text/plain", () => {
    const raw = Buffer.from([
      'preamble', '--b', 'Content-Disposition: form-data; name="file"; filename*=UTF-8\'\'%C3%A9t%C3%A9.jsonl; filename="ete.jsonl"', '', 'line',
      '--b', 'content-disposition: form-data; name=plain', '', 'v', '--b--', 'epilogue',
    ].join('\r\n'));
    const parts = formParts(raw, 'multipart/form-data; boundary="b"');
    expect(parts.map((p) => [p.name, p.filename, p.type, p.body.toString()])).to.deep.equal([['file', 'été.jsonl', 'text/plain', 'line'], ['plain', undefined, undefined, 'v']]);
  });

  it('refuses a body that is not such a form, saying why', async () => {
    const cases: [string, string, string][] = [
      ['multipart/form-data', '--b\r\n\r\n', 'its Content-Type has no boundary'],
      ['multipart/form-data; boundary=b', 'no delimiter here', 'no boundary found in the body'],
      ['multipart/form-data; boundary=b', '--bX', 'a boundary is not followed by a line break'],
      ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="a"\r\nno end', "a part's headers do not end"],
      ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue without end', 'a part does not end with a boundary'],
      ['multipart/form-data; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--', 'a part has no Content-Disposition name'],
      ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--b--', "a part's Content-Disposition is not form-data"],
    ];
    for (const [type, body, why] of cases) {
      const err = await refusal(async () => formParts(Buffer.from(body), type));
      expect(err, why).to.include({ code: 'LIP_ERR_REQUEST_INVALID', status: 400, message: `the multipart/form-data body cannot be read: ${why}` });
    }
  });
});
