/** The reply both sides of the benchmark produce: the same text, split into the same chunks. */
export const BENCH_TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(12).trim();
export const BENCH_CHUNKS = 50;

export function cannedCompletion(text: string) {
  return {
    id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 120, total_tokens: 132 },
  };
}

export function cannedStream(text: string, chunks: number): string {
  const chars = Array.from(text);
  const prefix = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench",';
  const frame = (delta: string, finish: string | null) => `data: ${prefix}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish ? `"${finish}"` : 'null'}}]}\n\n`;
  let out = frame('{"role":"assistant","content":""}', null);
  for (let i = 0; i < chunks; i++) {
    out += frame(`{"content":${JSON.stringify(chars.slice(Math.floor((i * chars.length) / chunks), Math.floor(((i + 1) * chars.length) / chunks)).join(''))}}`, null);
  }
  return `${out}${frame('{}', 'stop')}data: [DONE]\n\n`;
}
