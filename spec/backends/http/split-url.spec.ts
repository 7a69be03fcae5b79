import { expect } from 'chai';
import { splitUrl } from '../../../lib/backends/http/upstream-client.js';

describe('backends/http/upstream-client: splitUrl', () => {
  it('splits origin and path (with its query) without a URL object', () => {
    expect(splitUrl('https://api.example.com/v1/chat/completions')).to.deep.equal(['https://api.example.com', '/v1/chat/completions']);
    expect(splitUrl('http://127.0.0.1:8080/v1beta/models/g:streamGenerateContent?alt=sse')).to.deep.equal(['http://127.0.0.1:8080', '/v1beta/models/g:streamGenerateContent?alt=sse']);
  });

  it('leaves unusual shapes to URL: no path, a query without a path', () => {
    expect(splitUrl('http://host:9')).to.deep.equal(['http://host:9', '/']);
    expect(splitUrl('http://host?x=1')).to.deep.equal(['http://host', '/?x=1']);
  });
});
