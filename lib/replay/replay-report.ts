import type { ExchangeResult, ReplayState } from './replay-exchange.js';

export const REPLAY_STATES: readonly ReplayState[] = ['same', 'route-changed', 'output-changed', 'error', 'unrecorded'];

/** The machine-readable report (`--json`, `--report`). */
export interface ReplayReport {
  readonly summary: Record<ReplayState, number> & { readonly total: number };
  readonly skipped_lines: readonly { readonly file: string; readonly line: number; readonly reason: string }[];
  readonly exchanges: readonly ExchangeResult[];
}

export function buildReport(results: readonly ExchangeResult[], skipped: ReplayReport['skipped_lines']): ReplayReport {
  const counts = Object.fromEntries(REPLAY_STATES.map((s) => [s, 0])) as Record<ReplayState, number>;
  for (const r of results) counts[r.state]++;
  return { summary: { ...counts, total: results.length }, skipped_lines: skipped, exchanges: results };
}

/** One exchange as text: its state, and for a difference what changed (route, first event, fields). */
export function describeResult(r: ExchangeResult): string {
  const head = `${r.state.padEnd(14)} ${r.id}  ${r.frontend}  request ${r.request_id}`;
  const lines = [head];
  if (r.state === 'route-changed') lines.push(`  served: ${r.served.recorded ?? '(none)'} -> ${r.served.replayed ?? '(none)'}`);
  if (r.difference) {
    lines.push(`  first differing client event: #${r.difference.index}`);
    for (const f of r.difference.fields.slice(0, 10)) {
      lines.push(`    ${f.path || '(event)'}: ${show(f.recorded)} -> ${show(f.replayed)}`);
    }
    if (r.difference.fields.length > 10) lines.push(`    … ${r.difference.fields.length - 10} more fields`);
  }
  if (r.unrecorded) {
    // `unrecorded` names the waited-past candidates too (after the others): each is told once, with its reason.
    const past = r.waited_past ?? [];
    const missing = r.unrecorded.slice(0, r.unrecorded.length - past.length);
    if (missing.length > 0) lines.push(`  not in the recording: ${missing.join(', ')}`);
    if (past.length > 0) lines.push(`  waited on past its recorded end: ${past.map((w) => `${w.candidate_key} (recorded until ${w.reason})`).join(', ')}`);
  }
  if (r.error) lines.push(`  ${r.error}`);
  return lines.join('\n');
}

/** The summary table printed at the end. */
export function renderSummary(report: ReplayReport): string {
  const row = (label: string, value: string | number) => `  ${label.padEnd(15)} ${String(value).padStart(6)}`;
  return [row('state', 'count'), ...REPLAY_STATES.map((s) => row(s, report.summary[s])), row('total', report.summary.total)].join('\n');
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
