import { expect } from 'chai';
import { basePath, endpointUrl } from '../../../lib/backends/http/index.js';

describe('backends/http/endpoint-url', () => {
  it('appends the path to the base path, dropping its trailing slashes', () => {
    expect(endpointUrl('https://api.openai.com/v1', '/chat/completions')).to.equal('https://api.openai.com/v1/chat/completions');
    expect(endpointUrl('http://127.0.0.1:8000/v1//', '/models')).to.equal('http://127.0.0.1:8000/v1/models');
    expect(endpointUrl('https://api.anthropic.com', '/v1/models?limit=1000')).to.equal('https://api.anthropic.com/v1/models?limit=1000');
  });

  it('keeps the base\'s query after the path, then the path\'s own', () => {
    expect(endpointUrl('https://r.openai.azure.com/openai/deployments/gpt-4o?api-version=2024-10-21', '/chat/completions'))
      .to.equal('https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(endpointUrl('https://g.example/root/?key=a', '/v1beta/models/g:streamGenerateContent?alt=sse'))
      .to.equal('https://g.example/root/v1beta/models/g:streamGenerateContent?key=a&alt=sse');
    expect(endpointUrl('https://x.example/v1?', '/models')).to.equal('https://x.example/v1/models');
  });

  it('names the base path without its query', () => {
    expect(basePath('https://chatgpt.com/backend-api/codex/responses/?x=1')).to.equal('https://chatgpt.com/backend-api/codex/responses');
  });
});
