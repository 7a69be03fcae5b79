import { expect } from 'chai';
import fc from 'fast-check';
import { declareAddedTools } from '../../lib/backends/added-tools.js';
import { customToolsAsFunctions } from '../../lib/backends/custom-tools.js';
import { documentContextAsText } from '../../lib/backends/document-context.js';
import { encodeOpenResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { searchResultsAsText } from '../../lib/backends/search-results.js';
import { namespacesAsFunctions } from '../../lib/backends/tool-namespaces.js';
import { portableCallIds } from '../../lib/backends/call-ids.js';
import { portableToolNames } from '../../lib/backends/tool-names.js';
import { toolReferencesAsText } from '../../lib/backends/tool-references.js';
import { validateCall, type Call } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { parseJson } from '../../lib/wire/json-body.js';
import { openResponsesProblem } from '../helpers/emulators/openresponses-emulator.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { mutatedJsonText } from './json-mutations.js';
import { SEED_REQUESTS } from './seed-requests.js';

const OPTIONS = responsesOptions({ id: 'ors', kind: 'custom-openresponses', models: [], profile: 'openresponses', provider_options: true });

/** What the HTTP backend makes of a call before an Open Responses row encodes it (http-backend.ts: none of the protocol's flags set). */
function prepared(call: Call): Call {
  const portable = portableCallIds(portableToolNames(namespacesAsFunctions(declareAddedTools(call))), { chars: 'any', max: 64 });
  return customToolsAsFunctions(toolReferencesAsText(documentContextAsText(searchResultsAsText(portable))));
}

/** A request of any client protocol as a call, when it decodes into a valid one. */
function decoded(frontendId: string, text: string): Call | undefined {
  const frontend = FRONTENDS[frontendId]!;
  try {
    const call = frontend.routes[0]!.decode(parseJson(text), { params: { model: 'gemini-x' }, query: new URLSearchParams(), headers: {} }).call;
    return validateCall(call).length === 0 ? call : undefined;
  } catch {
    return undefined;
  }
}

describe('fuzz: the Open Responses encoder writes only what the specification defines', function () {
  this.timeout(fuzzTimeout(60));

  for (const [frontendId, seeds] of Object.entries(SEED_REQUESTS)) {
    it(`every call a ${frontendId} client sends (its seeds, mutated) is a create body the specification's schema takes, or refused retryable before sending`, async () => {
      let encoded = 0;
      await fc.assert(fc.asyncProperty(fc.oneof(fc.constantFrom(...seeds).map((s) => JSON.stringify(s)), mutatedJsonText(seeds).map((m) => m.text)), fc.boolean(), async (text, stream) => {
        const call = decoded(frontendId, text);
        // The client's metadata goes as it wrote it, to OpenAI too: a value over the specification's
        // 512 characters is the server's 400 there (OpenAI's own limit), as it would be without lip.
        if (call === undefined || Object.values(call.metadata).some((v) => typeof v !== 'string' || v.length > 512)) return;
        let body: unknown;
        try {
          body = encodeOpenResponsesRequest(prepared(call), 'm', OPTIONS, 'ors', stream);
        } catch (err) {
          expect(err).to.be.instanceOf(LipError);
          expect(err).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
          return;
        }
        encoded++;
        expect(await openResponsesProblem(JSON.parse(JSON.stringify(body))), text.slice(0, 300)).to.equal(undefined);
      }), fuzzParameters(0.5));
      expect(encoded).to.be.greaterThan(0);
    });
  }
});
