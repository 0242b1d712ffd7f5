// A latency probe and the medians the benchmark reports (the load itself comes from wrk.ts).
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
