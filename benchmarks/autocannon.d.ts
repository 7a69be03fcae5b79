declare module 'autocannon' {
  interface Options { url: string; method?: string; body?: string; headers?: Record<string, string>; connections?: number; duration?: number; pipelining?: number }
  interface Histogram { average: number; total?: number; mean: number; p50: number; p90: number; p99: number; max: number }
  interface Result { requests: Histogram; latency: Histogram; throughput: Histogram; errors: number; timeouts: number; non2xx: number }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
