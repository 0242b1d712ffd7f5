// CPU profiles of the server under load (`npm run bench -- --profile`): Node writes a .cpuprofile
// per process on exit (open it in Chrome DevTools, Performance tab, "Load profile"); this prints
// where the time went, by part of the stack, so a reader sees the answer without opening it.
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which part of the work a frame belongs to: our modules by folder, dependencies by package. */
export function partOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (functionName === '(program)') return '(program: native, outside JS)';
  if (!url) return `(native) ${functionName}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  const ours = /\/dist\/(.+?)\/[^/]+\.js$/.exec(url) ?? /\/dist\/([^/]+)\.js$/.exec(url);
  if (ours) return `gatehouse ${ours[1]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node ').replace(/^node:/, 'node ');
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  parts: Array<{ part: string; ms: number; share: number }>;
  functions: Array<{ name: string; ms: number; share: number }>;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const part = partOf(frame.url, frame.functionName);
    if (part === '(idle)') continue;
    busyUs += us;
    parts.set(part, (parts.get(part) ?? 0) + us);
    const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|dist)\//, '')}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return {
    totalMs: busyUs / 1000,
    parts: ranked(parts).map(({ name, ms, share }) => ({ part: name, ms, share })),
    functions: ranked(functions),
  };
}

export function formatSummary(title: string, summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  return [
    `${title}: ${summary.totalMs.toFixed(0)} ms of CPU on the main thread (idle excluded)`,
    '  by part:',
    ...summary.parts.map((p) => `    ${pct(p.share)}  ${p.part}`),
    '  by function (self time):',
    ...summary.functions.map((f) => `    ${pct(f.share)}  ${f.name}`),
  ].join('\n');
}

if (process.argv[1]?.endsWith('profile.ts')) {
  for (const file of process.argv.slice(2)) process.stdout.write(`${formatSummary(file, summarizeProfile(file, 25))}\n\n`);
}
