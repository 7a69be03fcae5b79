import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectEvents, type LipEvent } from '../../lib/canonical/index.js';
import { toLipError } from '../../lib/errors/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import type { EncodeContext, Frontend } from '../../lib/frontends/protocol.js';
import { SCENARIOS, slug } from './scenarios.js';

/**
 * Golden wire files: the exact bytes each frontend writes for the conformance scenarios, with
 * deterministic ids (a counter through `EncodeContext.newId`) and a fixed creation time.
 * `<scenario>.sse` is the stream body, `<scenario>.json` the non-streaming body, and
 * `<scenario>.<status>.json` an error body. Regenerate after an intended wire change with
 * `LIP_UPDATE_GOLDEN=1 npx mocha spec/conformance/golden-wire.spec.ts` and review the diff.
 */
const ROOT = fileURLToPath(new URL('../../testdata/golden/', import.meta.url));
const UPDATE = process.env.LIP_UPDATE_GOLDEN === '1';

const REQUESTS: Record<string, { path: Record<string, string>; body: unknown }> = {
  'openai-chat': { path: {}, body: { model: 'golden-model', messages: [{ role: 'user', content: 'Hi' }], stream_options: { include_usage: true } } },
  'openai-responses': { path: {}, body: { model: 'golden-model', input: 'Hi', instructions: 'Be brief.', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }] } },
  anthropic: { path: {}, body: { model: 'golden-model', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] } },
  gemini: { path: { model: 'golden-model' }, body: { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] } },
};

function context(frontend: Frontend): EncodeContext {
  const request = REQUESTS[frontend.id]!;
  const decoded = frontend.routes[0]!.decode(request.body, { params: request.path, query: new URLSearchParams(), headers: {} });
  let n = 0;
  return { call: decoded.call, model: undefined, hints: decoded.hints ?? {}, requestId: 'golden', created: 1_700_000_000, now: () => 1_700_000_000, newId: (prefix) => `${prefix}${String(++n).padStart(4, '0')}` };
}

function check(file: string, actual: string): void {
  const path = join(ROOT, file);
  if (UPDATE) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${file} is missing: run with LIP_UPDATE_GOLDEN=1 to write it`).to.equal(true);
  expect(actual, file).to.equal(readFileSync(path, 'utf8'));
}

describe('conformance: golden wire files (testdata/golden/<protocol>/)', () => {
  for (const frontend of Object.values(FRONTENDS)) {
    describe(frontend.id, () => {
      const route = frontend.routes[0]!;
      for (const scenario of SCENARIOS) {
        const name = slug(scenario.name);
        const failAt = scenario.script.findIndex((s) => 'fail' in s);
        const events = (failAt < 0 ? scenario.script : scenario.script.slice(0, failAt)).filter((s) => !('delayMs' in s)) as LipEvent[];
        const failure = failAt < 0 ? undefined : toLipError((scenario.script[failAt] as { fail: unknown }).fail);
        const outputBeforeFailure = events.some((e) => e.type === 'text_delta' || e.type.startsWith('tool_call') || e.type.startsWith('reasoning'));

        if (!failure || outputBeforeFailure) {
          it(`${name}.sse`, () => {
            const encoder = route.streamEncoder(context(frontend));
            check(`${frontend.id}/${name}.sse`, events.map((e) => encoder.event(e)).join('') + (failure ? encoder.error(failure) : encoder.end()));
          });
        }
        if (failure) {
          it(`${name}.${failure.status}.json`, () => check(`${frontend.id}/${name}.${failure.status}.json`, JSON.stringify(frontend.encodeError(failure).body)));
        } else {
          it(`${name}.json`, () => check(`${frontend.id}/${name}.json`, JSON.stringify(route.encodeResponse(collectEvents(events), context(frontend)))));
        }
      }
    });
  }
});
