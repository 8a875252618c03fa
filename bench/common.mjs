// Shared pieces of the benchmarks: argument parsing, timing, fixture paths, and table printing.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesRoot = process.env.ALBERT_NODE_FIXTURES ?? resolve(repoRoot, '..', 'shared', 'fixtures');
export const baseRandom = resolve(fixturesRoot, 'base-random');

if (!existsSync(baseRandom)) {
  console.error(`fixtures not found at ${fixturesRoot} (set ALBERT_NODE_FIXTURES)`);
  process.exit(2);
}

/** Parses --name value / --flag arguments into an object, with defaults. */
export function parseArgs(defaults, help) {
  const args = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(help);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option ${a}\n${help}`);
    const value = typeof defaults[key] === 'boolean' ? true : argv[++i];
    args[key] = typeof defaults[key] === 'number' ? Number(value) : value;
  }
  return args;
}

/**
 * Runs `fn` (async) `warmup` times, then repeatedly until both `minIterations` runs and `minSeconds` have
 * passed. Returns the per-run times in milliseconds.
 */
export async function timeRuns(fn, { warmup = 2, minIterations = 5, minSeconds = 3 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  const start = performance.now();
  while (times.length < minIterations || performance.now() - start < minSeconds * 1000) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function percentile(times, p) {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const median = (times) => percentile(times, 50);

export function printTable(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(columns));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}
