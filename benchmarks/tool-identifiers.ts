/**
 * In-process cost of the HTTP backends' portable tool names and history call ids per request
 * (compiled dist/), medians of interleaved rounds: a request without tools, one with 50 tools and
 * a history of 100 messages whose names and ids all fit (the usual request: a scan), and the
 * same with 10 MCP-style names and Kimi-style ids to rewrite for Anthropic's rules.
 *
 * ```sh
 * npm run build && node --import tsx benchmarks/tool-identifiers.ts [--quick]
 * ```
 */
import { interleaved } from './interleaved.js';

const names = await import('../dist/backends/tool-names.js' as string) as typeof import('../lib/backends/tool-names.js');
const ids = await import('../dist/backends/call-ids.js' as string) as typeof import('../lib/backends/call-ids.js');
const { emptyCall } = await import('../dist/canonical/index.js' as string) as typeof import('../lib/canonical/index.js');
type Call = import('../lib/canonical/index.js').Call;
type Message = import('../lib/canonical/index.js').Message;

const ANTHROPIC = { chars: 'portable', max: 128 } as const;

function history(name: (i: number) => string, id: (i: number) => string): Call {
  const messages: Message[] = [{ role: 'user', parts: [{ type: 'text', text: 'go' }] }];
  for (let i = 0; i < 50; i++) {
    messages.push({ role: 'assistant', parts: [{ type: 'text', text: 'Checking.' }, { type: 'tool_call', id: id(i), name: name(i % 50), arguments: '{}' }] });
    messages.push({ role: 'tool', parts: [{ type: 'tool_result', callId: id(i), content: 'ok' }] });
  }
  return emptyCall({ model: 'm', messages, tools: Array.from({ length: 50 }, (_, i) => ({ name: name(i), parameters: { type: 'object' } })) });
}

export async function toolIdentifiersCost(rounds: number): Promise<{ name: string; us: number }[]> {
  const bare = emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  const fitting = history((i) => `tool_number_${i}`, (i) => `toolu_${String(i).padStart(24, '0')}`);
  const foreign = history((i) => (i < 10 ? `server.tool.${i}` : `tool_number_${i}`), (i) => `functions.tool_${i}:${i}`);
  const prepare = (call: Call) => ids.portableCallIds(names.portableToolNames(call), ANTHROPIC);
  const runners = [
    { name: 'no tools', once: () => prepare(bare) },
    { name: '50 tools, 100 messages, every name and id fits', once: () => prepare(fitting) },
    { name: '50 tools, 100 messages, 10 MCP-style names and 50 Kimi-style ids rewritten', once: () => prepare(foreign) },
  ].map((r) => ({ ...r, samples: [] as number[] }));
  return interleaved(runners, rounds, 1_000);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await toolIdentifiersCost(process.argv.includes('--quick') ? 10 : 40);
  for (const r of rows) process.stdout.write(`${r.us.toFixed(3).padStart(8)} us  ${r.name}\n`);
}
