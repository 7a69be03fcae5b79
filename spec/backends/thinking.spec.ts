import { expect } from 'chai';
import { fitThinking } from '../../lib/backends/thinking.js';

describe('backends/thinking', () => {
  describe('fitThinking', () => {
    it('keeps a limit the call set: the budget under it, lowered to one token under it, or none under 1024', () => {
      expect(fitThinking({ limit: 20_000, budget: 16384, room: 4096 })).to.deep.equal({ maxTokens: 20_000, budget: 16384 });
      expect(fitThinking({ limit: 16384, budget: 16384, room: 4096 })).to.deep.equal({ maxTokens: 16384, budget: 16383 });
      expect(fitThinking({ limit: 1025, budget: 16384, room: 4096 })).to.deep.equal({ maxTokens: 1025, budget: 1024 });
      expect(fitThinking({ limit: 1024, budget: 16384, room: 4096 })).to.deep.equal({ maxTokens: 1024, budget: undefined });
      expect(fitThinking({ limit: 500, budget: undefined, room: 4096 })).to.deep.equal({ maxTokens: 500, budget: undefined });
    });

    it('without a limit, picks its own (none: the provider default) and raises it to the budget plus the room when the budget does not fit', () => {
      expect(fitThinking({ budget: undefined, room: 4096 })).to.deep.equal({ maxTokens: undefined, budget: undefined });
      expect(fitThinking({ budget: 16384, room: 4096 })).to.deep.equal({ maxTokens: 20480, budget: 16384 });
      expect(fitThinking({ picked: 8192, budget: 2048, room: 8192 })).to.deep.equal({ maxTokens: 8192, budget: 2048 });
      expect(fitThinking({ picked: 8192, budget: 8192, room: 8192 })).to.deep.equal({ maxTokens: 16384, budget: 8192 });
    });

    it('holds a limit it picks at the ceiling (the model\'s known output), the budget under it; a call\'s limit is not its to change', () => {
      expect(fitThinking({ picked: 8192, budget: 32768, room: 8192, ceiling: 32000 })).to.deep.equal({ maxTokens: 32000, budget: 31999 });
      expect(fitThinking({ picked: 8192, budget: 30000, room: 8192, ceiling: 32000 })).to.deep.equal({ maxTokens: 32000, budget: 30000 });
      expect(fitThinking({ picked: 8192, budget: undefined, room: 8192, ceiling: 4096 })).to.deep.equal({ maxTokens: 4096, budget: undefined });
      expect(fitThinking({ picked: 8192, budget: 2048, room: 8192, ceiling: 1000 })).to.deep.equal({ maxTokens: 1000, budget: undefined });
      expect(fitThinking({ budget: undefined, room: 4096, ceiling: 4096 })).to.deep.equal({ maxTokens: undefined, budget: undefined });
      expect(fitThinking({ budget: 16384, room: 4096, ceiling: 64000 })).to.deep.equal({ maxTokens: 20480, budget: 16384 });
      expect(fitThinking({ limit: 3000, budget: 2048, room: 4096, ceiling: 2000 })).to.deep.equal({ maxTokens: 3000, budget: 2048 });
    });
  });
});
