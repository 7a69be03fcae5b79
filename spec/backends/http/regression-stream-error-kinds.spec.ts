import { expect } from 'chai';
import { anthropicStreamError } from '../../../lib/backends/anthropic/index.js';
import { chatStreamError } from '../../../lib/backends/openai-chat/index.js';
import { responsesStreamError } from '../../../lib/backends/openai-responses/index.js';

/**
 * Found in review: the Chat Completions, Responses and Messages backends each had a table of
 * in-stream error types, and they disagreed. Chat answered `invalid_request_error` and
 * `authentication_error` with 502 (the others 400 and 401) and `server_error` with 502
 * (Responses 500); Responses did not fail over on `overloaded_error` or `api_error` (the others
 * did). One table (streamErrorKind) now serves the three. The Responses refusal pattern
 * (`/^invalid_|image/`) also took `image_generation_server_error` under type `server_error` for
 * a refused image: a 400 that was retryable. The refusal codes are listed now, a server_error type
 * wins over them, and `vector_store_timeout` is transient.
 */
describe('regression: the OpenAI and Anthropic backends agree on an in-stream error type', () => {
  const kinds = (type: string) => [
    chatStreamError('c', { error: { message: 'm', type } }, []),
    responsesStreamError('r', { type: 'error', error: { message: 'm', type } }, []),
    anthropicStreamError('a', { type: 'error', error: { message: 'm', type } }, []),
  ].map(({ status, retryable }) => ({ status, retryable }));

  for (const [type, status, retryable] of [
    ['invalid_request_error', 400, false], ['authentication_error', 401, false], ['permission_error', 403, false], ['not_found_error', 404, false],
    ['rate_limit_error', 429, true], ['server_error', 500, true], ['api_error', 500, true], ['overloaded_error', 529, true], ['timeout_error', 504, true],
    ['something_new', 502, false],
  ] as const) {
    it(`${type}: ${status}, ${retryable ? '' : 'not '}retryable, in all three`, () => {
      expect(kinds(type)).to.deep.equal(Array(3).fill({ status, retryable }));
    });
  }

  it('Chat\'s numeric code keeps precedence over its type', () => {
    expect(chatStreamError('or', { error: { message: 'm', type: 'invalid_request_error', code: 503 } }, [])).to.include({ status: 503, retryable: true });
    expect(chatStreamError('or', { error: { message: 'm', type: 'server_error', code: 400 } }, [])).to.include({ status: 400, retryable: false });
  });

  it('a Responses server_error type is not taken for a refused image', () => {
    const failed = responsesStreamError('r', { type: 'error', error: { message: 'm', type: 'server_error', code: 'image_generation_server_error' } }, []);
    expect(failed).to.include({ status: 500, retryable: true });
    expect(failed.detail).to.include({ upstream_type: 'image_generation_server_error' });
    expect(responsesStreamError('r', { type: 'error', error: { message: 'm', type: 'server_error', code: 'image_parse_error' } }, [])).to.include({ status: 500, retryable: true });
  });

  it('the listed Responses refusal codes are 400s, an unknown invalid_ or image code is not guessed at', () => {
    for (const code of ['invalid_prompt', 'invalid_base64_image', 'image_too_small', 'unsupported_image_media_type', 'failed_to_download_image', 'bio_policy']) {
      expect(responsesStreamError('r', { code, message: 'm' }, []), code).to.include({ status: 400, retryable: false });
    }
    expect(responsesStreamError('r', { code: 'invalid_something_new', message: 'm' }, [])).to.include({ status: 502, retryable: false });
    expect(responsesStreamError('r', { code: 'image_something_new', message: 'm' }, [])).to.include({ status: 502, retryable: false });
  });

  it('a Responses vector_store_timeout may fail over', () => {
    expect(responsesStreamError('r', { type: 'error', error: { message: 'm', code: 'vector_store_timeout' } }, [])).to.include({ status: 504, retryable: true });
  });
});
