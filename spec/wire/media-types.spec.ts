import { expect } from 'chai';
import { audioOrVideo, inlineFileName, isTextMediaType, mediaTypeByExtension } from '../../lib/wire/index.js';

describe('wire/media-types', () => {
  it('names an inline file for its media type, parameters and case aside; an unknown binary type claims none', () => {
    expect(inlineFileName(undefined)).to.equal('document.pdf');
    expect(inlineFileName('application/pdf')).to.equal('document.pdf');
    expect(inlineFileName('Text/Plain; charset=utf-8')).to.equal('document.txt');
    expect(inlineFileName('application/json')).to.equal('document.json');
    expect(inlineFileName('text/x-rust')).to.equal('document.txt');
    expect(inlineFileName('application/ld+json')).to.equal('document.txt');
    expect(inlineFileName('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).to.equal('document.docx');
    expect(inlineFileName('application/octet-stream')).to.equal('file');
    for (const type of ['application/pdf', 'text/plain', 'text/markdown', 'text/csv', 'application/json', 'text/html']) expect(mediaTypeByExtension(inlineFileName(type))).to.equal(type);
  });

  it('tells text types and audio or video apart', () => {
    expect(['text/csv', 'application/json', 'application/xml', 'application/x-yaml', 'application/vnd.api+json'].map(isTextMediaType)).to.deep.equal([true, true, true, true, true]);
    expect(['application/pdf', 'application/octet-stream', 'image/png', 'audio/wav'].map(isTextMediaType)).to.deep.equal([false, false, false, false]);
    expect([audioOrVideo('Audio/MPEG'), audioOrVideo('video/mp4'), audioOrVideo('image/png'), audioOrVideo(undefined)]).to.deep.equal(['audio', 'video', undefined, undefined]);
  });
});
