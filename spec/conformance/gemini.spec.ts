import { expect } from 'chai';
import type { GenerateContentResponse } from '@google/genai';
import { geminiClient } from '../helpers/clients/index.js';
import { frontendConformance } from './frontend-suite.js';

const response = (raw: unknown) => raw as GenerateContentResponse;

frontendConformance({
  driver: geminiClient,
  raw: {
    'text': (r) => {
      const res = response(r.raw);
      expect(res.modelVersion).to.equal('text'); // the model that served
      expect(res.responseId).to.be.a('string').with.length.greaterThan(10);
      expect(res.candidates![0]!.finishReason).to.equal('STOP');
      expect(res.usageMetadata).to.deep.equal({ promptTokenCount: 12, candidatesTokenCount: 3, totalTokenCount: 15 });
    },
    'reasoning then text': (r) => {
      const parts = response(r.raw).candidates![0]!.content!.parts!.filter((p) => p.thought);
      expect(parts.map((p) => p.text).join('')).to.equal('The user greets; answer politely.');
      expect(parts.some((p) => p.thoughtSignature === 'sig-reasoning-1')).to.equal(true);
    },
    'two parallel tool calls with interleaved argument deltas': (r) => {
      const calls = response(r.raw).candidates![0]!.content!.parts!.filter((p) => p.functionCall).map((p) => p.functionCall);
      expect(calls).to.deep.equal([{ id: 'call_a', name: 'get_weather', args: { city: 'Paris' } }, { id: 'call_b', name: 'get_time', args: { zone: 'CET' } }]);
      expect(response(r.raw).candidates![0]!.finishReason).to.equal('STOP');
    },
    'length stop': (r) => expect(response(r.raw).candidates![0]!.finishReason).to.equal('MAX_TOKENS'),
    'failure before output': (r) => expect(r.error!.type).to.equal('NOT_FOUND'),
    'failure after output': (r, stream) => expect(r.error).to.deep.include(stream ? { status: 502, type: 'INTERNAL' } : { status: 502, type: 'INTERNAL' }),
    'usage with cache tokens': (r) => {
      // Gemini's candidatesTokenCount excludes thoughts: 20 output tokens = 15 + 5 thoughts.
      expect(response(r.raw).usageMetadata).to.deep.equal({
        promptTokenCount: 100, candidatesTokenCount: 15, thoughtsTokenCount: 5, cachedContentTokenCount: 60, totalTokenCount: 120,
      });
    },
  },
});
