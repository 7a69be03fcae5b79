import { expect } from 'chai';
import { encryptedReasoningRefusal, responsesStateRefusal, signedTurnRefusal, thoughtSignatureRefusal } from './state-check.js';
import type { Script } from './script.js';

const anthropicShape = {
  thinking: (b: Record<string, any>) => (b.type === 'thinking' ? { text: b.thinking, signature: b.signature } : undefined),
  redacted: (b: Record<string, any>) => (b.type === 'redacted_thinking' ? b.data : undefined),
  toolId: (b: Record<string, any>) => (b.type === 'tool_use' ? b.id : undefined),
  defaultToolId: (i: number) => `toolu_emu${i + 1}`,
};

describe('emulators: refusing follow-ups that drop or alter issued state', () => {
  const signed: Script[] = [{ reasoning: { text: ['Think', 'ing'], signature: 'sig-1', redacted: 'R' }, toolCalls: [{ id: 'c1', name: 'f', args: '{}' }] }];
  const turn = (content: unknown[]) => [{ role: 'user', content: 'q' }, { role: 'assistant', content }];
  const whole = [{ type: 'thinking', thinking: 'Thinking', signature: 'sig-1' }, { type: 'redacted_thinking', data: 'R' }, { type: 'tool_use', id: 'c1', name: 'f', input: {} }];

  it('signed thinking (Anthropic, Bedrock): accepts the turn whole, refuses it altered, incomplete or out of order', () => {
    expect(signedTurnRefusal(turn(whole), signed, anthropicShape)).to.equal(undefined);
    expect(signedTurnRefusal(turn([{ ...whole[0], thinking: 'Thinking!' }, whole[1], whole[2]]), signed, anthropicShape)).to.contain('Invalid `signature`');
    expect(signedTurnRefusal(turn([{ ...whole[0], signature: 'sig-2' }, whole[1], whole[2]]), signed, anthropicShape)).to.contain('Invalid `signature`');
    expect(signedTurnRefusal(turn([whole[0], { type: 'redacted_thinking', data: 'X' }, whole[2]]), signed, anthropicShape)).to.contain('Invalid `data`');
    expect(signedTurnRefusal(turn([whole[0], whole[2]]), signed, anthropicShape)).to.contain('blocks in the latest assistant message cannot be modified');
    expect(signedTurnRefusal(turn([whole[2], whole[0], whole[1]]), signed, anthropicShape)).to.contain('must start with a thinking block');
    expect(signedTurnRefusal(turn([whole[2]]), [], anthropicShape), 'nothing issued: nothing required').to.equal(undefined);
  });

  it('signed thinking: interleaved thinking (between a turn\'s calls) is the turn\'s too', () => {
    const issued: Script[] = [{ ...signed[0]!, toolCalls: [...signed[0]!.toolCalls!, { id: 'c2', name: 'g', args: '{}', reasoning: { text: 'Then', signature: 'sig-2' } }] }];
    const later = [{ type: 'thinking', thinking: 'Then', signature: 'sig-2' }, { type: 'tool_use', id: 'c2', name: 'g', input: {} }];
    expect(signedTurnRefusal(turn([...whole, ...later]), issued, anthropicShape)).to.equal(undefined);
    expect(signedTurnRefusal(turn([...whole, later[1]]), issued, anthropicShape)).to.contain('blocks in the latest assistant message cannot be modified');
    expect(signedTurnRefusal(turn([...whole, { ...later[0], thinking: 'Then!' }, later[1]]), issued, anthropicShape)).to.contain('Invalid `signature`');
  });

  it('Gemini: refuses a signature it never issued and a signed functionCall without its signature', () => {
    const issued: Script[] = [{ reasoning: { text: 'P', signature: 'ts-1' }, toolCalls: [{ name: 'f', args: '{"a":1}', signature: 'ts-call' }] }];
    const model = (parts: unknown[]) => [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts }];
    expect(thoughtSignatureRefusal(model([{ text: 'P', thought: true, thoughtSignature: 'ts-1' }, { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'ts-call' }]), issued)).to.equal(undefined);
    expect(thoughtSignatureRefusal(model([{ functionCall: { name: 'f', args: { a: 1 } } }]), issued)).to.contain('missing a thought_signature');
    expect(thoughtSignatureRefusal(model([{ functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'ts-1' }]), issued)).to.contain('missing a thought_signature');
    expect(thoughtSignatureRefusal(model([{ text: '', thoughtSignature: 'foreign' }]), issued)).to.contain('Corrupted thought signature');
    expect(thoughtSignatureRefusal(model([{ functionCall: { name: 'other', args: {} } }]), issued)).to.equal(undefined);
  });

  it('OpenAI Responses: refuses altered encrypted content or item id, and a function call without its reasoning item', () => {
    const issued: Script[] = [{ reasoning: { encrypted: 'E', id: 'rs_1' }, toolCalls: [{ id: 'call_1', name: 'f', args: '{}' }] }];
    const call = { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' };
    expect(encryptedReasoningRefusal([{ type: 'reasoning', id: 'rs_1', encrypted_content: 'E', summary: [] }, call], issued)).to.equal(undefined);
    expect(encryptedReasoningRefusal([{ type: 'reasoning', id: 'rs_1', encrypted_content: 'E2', summary: [] }, call], issued)).to.contain('could not be verified');
    expect(encryptedReasoningRefusal([{ type: 'reasoning', id: 'rs_2', encrypted_content: 'E', summary: [] }, call], issued)).to.contain('could not be verified');
    expect(encryptedReasoningRefusal([call], issued)).to.contain("without its required 'reasoning' item: 'rs_1'");
  });
  it('OpenAI Responses: refuses a program or compaction item it did not issue, and a program\'s call without its program', () => {
    const program = { id: 'prog_1', type: 'program', call_id: 'cp', code: 'return 1;', fingerprint: 'fp_1' };
    const compaction = { id: 'cmp_1', type: 'compaction', encrypted_content: 'enc-1' };
    const issued: Script[] = [{ hosted: [program, compaction], toolCalls: [{ id: 'c1', name: 'f', args: '{}', caller: { type: 'program', caller_id: 'cp' } }] }];
    const call = { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' };
    expect(responsesStateRefusal([program, call, compaction], issued)).to.equal(undefined);
    expect(responsesStateRefusal([{ ...program, fingerprint: 'fp_2' }, call], issued)).to.equal('The fingerprint of program item prog_1 could not be verified.');
    expect(responsesStateRefusal([{ ...program, code: 'return 2;' }], issued)).to.match(/program item prog_1/);
    expect(responsesStateRefusal([{ ...compaction, encrypted_content: 'enc-2' }], issued)).to.equal('The encrypted content of compaction item cmp_1 could not be verified.');
    expect(responsesStateRefusal([call], issued)).to.equal("Item 'c1' of type 'function_call' was provided without its required 'program' item: 'cp'.");
  });
});
