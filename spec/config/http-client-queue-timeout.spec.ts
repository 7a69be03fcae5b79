import { expect } from 'chai';
import { configFrom, configIssues } from '../helpers/config.js';

const STUB = 'backends: [{ id: stub, kind: localstub }]\n';

describe('config: http_client.queue_timeout', () => {
  it('defaults to 30 s and takes a duration', () => {
    expect(configFrom(STUB).http_client.queue_timeout).to.equal(30_000);
    expect(configFrom(`http_client: { connections_per_origin: 2, queue_timeout: 2m }\n${STUB}`).http_client.queue_timeout).to.equal(120_000);
  });

  it('refuses 0ms (a queued request must give up some time) and what is no duration', () => {
    expect(configIssues(`http_client: { queue_timeout: 0ms }\n${STUB}`)).to.have.length(1);
    expect(configIssues(`http_client: { queue_timeout: 0ms }\n${STUB}`)[0]).to.match(/^http_client\.queue_timeout: must be more than 0ms/);
    expect(configIssues(`http_client: { queue_timeout: soon }\n${STUB}`)[0]).to.match(/^http_client\.queue_timeout: must be a duration/);
  });
});
