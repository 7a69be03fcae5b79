import { testConfig } from './config.js';
import { startOpenAIChatEmulator, type Emulator } from './emulators/index.js';
import { startLip, type RunningLip } from './lip.js';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

export interface TracedLip {
  readonly upstream: Emulator;
  readonly receiver: OtlpReceiver;
  readonly lip: RunningLip;
  close(): Promise<void>;
}

/**
 * lip with tracing on, exporting to an in-test OTLP receiver, in front of an openai-chat
 * emulator (backend `up`); `lines` are the config's other lines (the routing, the tracing
 * section when it needs more than `enabled`, keys). Closes all three.
 */
export async function startTracedLip(lines: readonly string[]): Promise<TracedLip> {
  const upstream = await startOpenAIChatEmulator();
  const receiver = await startOtlpReceiver();
  const tracing = lines.some((l) => l.startsWith('observability:')) ? [] : ['observability: { tracing: { enabled: true } }'];
  const lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`, [...tracing, ...lines].join('\n')),
    {}, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
  return {
    upstream, receiver, lip,
    async close() {
      await lip.close();
      await upstream.close();
      await receiver.close();
    },
  };
}
