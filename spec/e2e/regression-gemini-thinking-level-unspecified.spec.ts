import { expect } from 'chai';
import { ThinkingLevel } from '@google/genai';
import { useUpstreams } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/**
 * `THINKING_LEVEL_UNSPECIFIED` is a value of the SDK's own ThinkingLevel enum (its default): it
 * says nothing about the effort. lip lower-cased it into the effort like any level, so an OpenAI
 * backend was sent `reasoning_effort: "thinking_level_unspecified"`, which OpenAI refuses. Now it
 * is no level: no effort, and no level sent on to a gemini backend either.
 */
describe('e2e: a Gemini client\'s THINKING_LEVEL_UNSPECIFIED sets no effort', function () {
  this.timeout(20_000);
  const up = useUpstreams({ oc: { kind: 'openai-chat' }, or: { kind: 'openai-responses' }, ge: { kind: 'gemini' } });
  const ask = async (backend: string, thinkingLevel: ThinkingLevel): Promise<Json> => {
    up.emulators[backend]!.enqueue({ text: 'ok' });
    const answer = await up.google().models.generateContent({ model: `${backend}:m`, contents: 'hi', config: { thinkingConfig: { thinkingLevel } } });
    expect(answer.text).to.equal('ok');
    return up.emulators[backend]!.requests.at(-1)!.body as Json;
  };

  it('an openai-chat backend is sent no reasoning_effort (and LOW still as low)', async () => {
    expect(await ask('oc', ThinkingLevel.THINKING_LEVEL_UNSPECIFIED)).to.not.have.property('reasoning_effort');
    expect((await ask('oc', ThinkingLevel.LOW)).reasoning_effort).to.equal('low');
  });

  it('an openai-responses backend is sent no reasoning effort (and LOW still as low)', async () => {
    expect((await ask('or', ThinkingLevel.THINKING_LEVEL_UNSPECIFIED)).reasoning?.effort).to.equal(undefined);
    expect((await ask('or', ThinkingLevel.LOW)).reasoning?.effort).to.equal('low');
  });

  it('a gemini backend is sent no thinking level', async () => {
    expect((await ask('ge', ThinkingLevel.THINKING_LEVEL_UNSPECIFIED)).generationConfig?.thinkingConfig?.thinkingLevel).to.equal(undefined);
  });
});
