import { expect } from 'chai';
import { configFrom, configIssues } from '../helpers/config.js';

const STUB = 'backends: [{ id: stub, kind: localstub }]\n';

/**
 * Found by probing: CONTRACT section 3 lists `http_client.connections_per_origin: 0 (unlimited)`,
 * but the schema refused 0 (`must be >= 1`), so a file written from the CONTRACT did not load.
 * 0 now means no cap, exactly as leaving the key out.
 */
describe('config regression: http_client.connections_per_origin: 0 is no cap', () => {
  it('accepts 0 and keeps it as the absent key (no cap)', () => {
    const zero = configFrom(`http_client: { connections_per_origin: 0 }\n${STUB}`);
    const absent = configFrom(STUB);
    expect(zero.http_client).to.not.have.property('connections_per_origin');
    expect(zero.http_client).to.deep.equal(absent.http_client);
  });

  it('keeps a positive cap and still refuses a negative one', () => {
    expect(configFrom(`http_client: { connections_per_origin: 4 }\n${STUB}`).http_client.connections_per_origin).to.equal(4);
    expect(configIssues(`http_client: { connections_per_origin: -1 }\n${STUB}`)).to.deep.equal(['http_client.connections_per_origin: must be >= 0 (got -1)']);
  });
});
