/**
 * What the benchmarks share: a description of the machine, redis-benchmark runs parsed from its
 * CSV output, and the JSON result file. Servers are started with test/support/servers.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** "2x AMD EPYC …, 24 GiB, Node v20…" */
export function machineDescription(): string {
  return `${os.cpus().length}x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** `redis-server --version` of the peer. */
export function peerVersion(): string {
  return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * Runs redis-benchmark with `args` (after -h/-p, before --csv) against `port`; returns requests/s
 * per test, named by the first word redis-benchmark prints (SET, LRANGE_100, PUBLISH, …). The
 * helper tests that only fill data for others ("LPUSH (needed to benchmark LRANGE)") are left out.
 */
export function redisBenchmark(port: number, args: string[]): Map<string, number> {
  const out = execFileSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const rps = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m && !m[1].includes('needed')) rps.set(m[1].split(' ')[0], Number(m[2]));
  }
  return rps;
}

/** Writes `results` to bench/results/<name>-<date>.json and returns the path. */
export function writeResults(name: string, date: string, results: unknown): string {
  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  const file = new URL(`../../bench/results/${name}-${date.slice(0, 10)}.json`, import.meta.url);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  return file.pathname;
}
