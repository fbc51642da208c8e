/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): self time per function, heaviest first.
 * Usage: tsx bench/cpuprofile.ts <file.cpuprofile | dir> [top=25]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, table } from './lib.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  fn: string;
  where: string;
  self_ms: number;
  self_pct: number;
}

export function summarize(file: string, top = 25): { total_ms: number; hot: Hotspot[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i])!;
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(ROOT, '');
    const key = `${f.functionName || '(anonymous)'}\u0000${url ? `${url}:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const hot = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, ms]) => {
      const [fn, where] = k.split('\u0000');
      return { fn, where, self_ms: ms, self_pct: (100 * ms) / total };
    });
  return { total_ms: total, hot };
}

export function render(s: { total_ms: number; hot: Hotspot[] }): string {
  return table(
    ['self %', 'self ms', 'function', 'where'],
    s.hot.map((h) => [h.self_pct.toFixed(1), h.self_ms.toFixed(0), h.fn.length > 60 ? `${h.fn.slice(0, 57)}...` : h.fn, h.where]),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, 'bench/cpuprofile.ts')) {
  let file = process.argv[2];
  if (statSync(file).isDirectory()) {
    const newest = readdirSync(file)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(file, f))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    file = newest;
  }
  const s = summarize(file, Number(process.argv[3] ?? 25));
  console.log(`${file}: ${s.total_ms.toFixed(0)} ms sampled\n`);
  console.log(render(s));
}
