import { expect } from 'chai';
import { emptyCall, type Message } from '../../../lib/canonical/index.js';
import { planPrompt } from '../../../lib/backends/acp/index.js';

const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const assistant = (text: string): Message => ({ role: 'assistant', parts: [{ type: 'text', text }] });
const call = (messages: Message[]) => emptyCall({ messages, system: [{ type: 'text', text: 'Be terse.' }] });

describe('backends/acp/encode-request: planPrompt (full, tail, retry, reset)', () => {
  it('sends a fresh agent the instructions, earlier turns as context and the last turn', () => {
    const plan = planPrompt(call([user('a'), assistant('b'), { role: 'user', parts: [{ type: 'text', text: 'c' }, { type: 'image', url: 'https://x/y.png' }] }]), undefined);
    expect(plan.text).to.equal('**System:** Be terse.\n\nPrevious Context:\n\n**User:** a\n\n**Assistant:** b\n\n---\n\n**User:** c\n[image: https://x/y.png]');
    expect(plan.reset).to.equal(false);
    expect(plan.mark.count).to.equal(4);
  });

  it('sends a live agent only the new user turn, skipping its own reply', () => {
    const first = planPrompt(call([user('a')]), undefined);
    const next = planPrompt(call([user('a'), assistant('whatever the client kept'), user('c')]), first.mark);
    expect(next).to.deep.include({ text: '**User:** c', reset: false });
  });

  it('sends only the last user message on an identical retry', () => {
    const first = planPrompt(call([user('a'), assistant('b'), user('c')]), undefined);
    expect(planPrompt(call([user('a'), assistant('b'), user('c')]), first.mark)).to.deep.include({ text: '**User:** c', reset: false });
  });

  it('resets when the prefix the agent holds was edited or shortened', () => {
    const first = planPrompt(call([user('a'), assistant('b'), user('c')]), undefined);
    expect(planPrompt(call([user('A'), assistant('b'), user('c')]), first.mark).reset).to.equal(true);
    expect(planPrompt(call([user('a')]), first.mark).reset).to.equal(true);
    expect(planPrompt(emptyCall({ messages: [user('a'), assistant('b'), user('c')] }), first.mark).reset).to.equal(true);
  });
});
