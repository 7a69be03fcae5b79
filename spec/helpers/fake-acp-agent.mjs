// A fake ACP agent for the acp backend's specs: JSON-RPC 2.0 over NDJSON on stdin/stdout, no
// dependencies. FAKE_ACP_MODE picks faults (comma separated):
//   crash       exit before any update when a prompt arrives
//   crash_after exit after the first message chunk
//   crash_signal   die of SIGKILL when a prompt arrives
//   slow        send nothing after the prompt until session/cancel arrives (ignore_cancel: never answer);
//               a SIGUSR1 meanwhile sends one message chunk (`still here `)
//   permission  ask session/request_permission first and report the outcome as text
//   unknown     send an unknown request first and report the error code as text
//   oversize    send a 2 MiB line instead of an answer
//   auth        answer session/new with -32000 until authenticate arrives
//   error       answer session/prompt with a JSON-RPC error (-32603)
//   silent_config  never answer session/set_config_option
//   close_stdout   close stdout after the first message chunk and keep running (close_stdout_before: before any update)
//   wrong_id    answer session/prompt with an id that was never sent
//   flood       answer the prompt with 80 message chunks of 256 KiB, each written once the one before
//               has drained (a reader that stops reading stops the agent); session/cancel ends it
//   grandchild  start `sleep 300` (as an agent starts a tool) and log its pid as a `{pid, grandchild}` line
// FAKE_ACP_LOG names a file that receives every incoming message as `{pid, message}` lines.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { spawn } from 'node:child_process';

const modes = new Set((process.env.FAKE_ACP_MODE ?? '').split(',').filter(Boolean));
const log = process.env.FAKE_ACP_LOG;
const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
const update = (sessionId, u) => send({ method: 'session/update', params: { sessionId, update: u } });
const waiting = new Map();
let nextId = 1000;
let authed = false;
let sessions = 0;
let pendingPrompt;

if (modes.has('slow')) {
  process.on('SIGUSR1', () => {
    if (pendingPrompt) update(pendingPrompt.sid, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'still here ' } });
  });
}

if (modes.has('grandchild')) {
  const tool = spawn('sleep', ['300'], { stdio: 'ignore' });
  if (log) appendFileSync(log, `${JSON.stringify({ pid: process.pid, grandchild: tool.pid })}\n`);
}

function ask(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve) => waiting.set(id, resolve));
}

async function prompt(id, params) {
  const sid = params.sessionId;
  const text = params.prompt.map((b) => b.text).join('\n');
  if (modes.has('crash')) process.exit(3);
  if (modes.has('crash_signal')) process.kill(process.pid, 'SIGKILL');
  if (modes.has('oversize')) { process.stdout.write(`${'x'.repeat(2 * 1024 * 1024)}\n`); return; }
  if (modes.has('error')) return send({ id, error: { code: -32603, message: 'model overloaded' } });
  if (modes.has('wrong_id')) return send({ id: id + 500, result: { stopReason: 'end_turn' } });
  if (modes.has('close_stdout_before')) { process.stdout.end(); setInterval(() => undefined, 1000); return; }
  if (modes.has('many_tools')) {
    // More tools than any kind keeps for a turn, then an ordinary end.
    for (let i = 0; i <= 10_000; i++) update(sid, { sessionUpdate: 'tool_call', toolCallId: `t${i}`, title: 'x', kind: 'other', status: 'pending' });
    return send({ id, result: { stopReason: 'end_turn' } });
  }
  if (modes.has('slow')) { pendingPrompt = { id, sid }; return; }
  if (modes.has('flood')) {
    pendingPrompt = { id, sid };
    const chunk = `${JSON.stringify({ jsonrpc: '2.0', method: 'session/update', params: { sessionId: sid, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'z'.repeat(256 * 1024) } } } })}\n`;
    for (let i = 0; i < 80 && pendingPrompt?.id === id; i++) {
      if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
    if (pendingPrompt?.id !== id) return; // cancelled (and answered)
    pendingPrompt = undefined;
    return send({ id, result: { stopReason: 'end_turn' } });
  }
  let prefix = '';
  if (modes.has('permission')) {
    const answer = await ask('session/request_permission', {
      sessionId: sid, toolCall: { toolCallId: 't0', title: 'rm -rf build' },
      options: [{ optionId: 'yes', name: 'Allow', kind: 'allow_once' }, { optionId: 'no', name: 'Reject', kind: 'reject_once' }],
    });
    prefix += `permission=${JSON.stringify(answer.result?.outcome)} `;
  }
  if (modes.has('unknown')) {
    const answer = await ask('x/frobnicate', {});
    prefix += `unknown=${answer.error?.code} `;
  }
  update(sid, { sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'Thinking it over.' } });
  update(sid, { sessionUpdate: 'plan', entries: [{ content: 'read the prompt', priority: 'high', status: 'completed' }] });
  update(sid, { sessionUpdate: 'tool_call', toolCallId: 't1', title: 'Read notes.md', kind: 'read', status: 'pending', rawInput: { path: 'notes.md' } });
  update(sid, { sessionUpdate: 'tool_call_update', toolCallId: 't1', status: 'completed', rawOutput: 'twelve bytes' });
  update(sid, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: `${prefix}pid=${process.pid} ` } });
  if (modes.has('crash_after')) process.exit(4);
  if (modes.has('close_stdout')) { process.stdout.end(); setInterval(() => undefined, 1000); return; }
  update(sid, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: `heard: ${text}` } });
  send({ id, result: { stopReason: 'end_turn' } });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  if (log) appendFileSync(log, `${JSON.stringify({ pid: process.pid, message })}\n`);
  if (message.method === undefined) { waiting.get(message.id)?.(message); waiting.delete(message.id); return; }
  switch (message.method) {
    case 'initialize':
      return send({ id: message.id, result: { protocolVersion: 1, agentCapabilities: {}, authMethods: modes.has('auth') ? [{ id: 'fake-login', name: 'Login' }] : [] } });
    case 'authenticate':
      authed = true;
      return send({ id: message.id, result: {} });
    case 'session/new':
      if (modes.has('auth') && !authed) return send({ id: message.id, error: { code: -32000, message: 'Authentication required' } });
      return send({ id: message.id, result: { sessionId: `sess-${process.pid}-${++sessions}` } });
    case 'session/set_config_option':
      if (modes.has('silent_config')) return;
      return send({ id: message.id, result: { configOptions: [] } });
    case 'session/prompt':
      return void prompt(message.id, message.params);
    case 'session/cancel':
      if (pendingPrompt && !modes.has('ignore_cancel')) {
        send({ id: pendingPrompt.id, result: { stopReason: 'cancelled' } });
        pendingPrompt = undefined;
      }
      return;
    default:
      if (message.id !== undefined) send({ id: message.id, error: { code: -32601, message: `unknown ${message.method}` } });
  }
});
