// Load generation: autocannon for request rates and latencies, a small fetch loop for
// multi-step flows, and a latency probe.
import autocannon from 'autocannon';

export interface Rate {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function hammer(options: {
  url: string;
  method?: 'GET' | 'POST';
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  body?: () => string;
}): Promise<Rate> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: options.method ?? 'GET',
        headers: { 'content-type': 'application/json', ...options.headers },
        ...(options.body ? { setupRequest: (request: autocannon.Request) => ({ ...request, body: options.body!() }) } : {}),
      },
    ],
  });
  const ok = result['2xx'];
  return { perSecond: ok / options.seconds, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

/** Runs `flow` from `concurrency` workers for `seconds`; answers completed flows per second. */
export async function runFlows(concurrency: number, seconds: number, flow: () => Promise<boolean>): Promise<{ perSecond: number; failed: number }> {
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        if (await flow().catch(() => false)) done++;
        else failed++;
      }
    }),
  );
  return { perSecond: (done * 1000) / (Date.now() - started), failed };
}

/** Sequential requests every `everyMs`, for `seconds`: latency percentiles in ms. */
export async function probe(url: string, seconds: number, everyMs = 10): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const started = performance.now();
    await fetch(url).then((r) => r.arrayBuffer());
    samples.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function spread(values: number[]): { min: number; max: number } {
  return { min: Math.min(...values), max: Math.max(...values) };
}
