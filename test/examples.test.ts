import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { run } from './support/process.js';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/** The examples run as a user runs them (`npm run example:*` runs these files), with small sizes. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url));
const SMALL = { USERS: '200', READS: '2000', CLIENTS: '20', REQUESTS: '1000', DB_LATENCY_MS: '1', PROCESSES: '3' };

let redis: RunningServer;
let ours: RunningServer;
before(async () => {
  [redis, ours] = await Promise.all([startRedis(), startStickynoteProcess()]);
});
after(async () => {
  await Promise.all([redis?.stop(), ours?.stop()]);
});

async function runExample(name: string, env: Record<string, string> = {}): Promise<string> {
  const r = await run(process.execPath, [example(name)], { env: { ...process.env, ...SMALL, ...env }, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${name} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('package.json has one script per example, running the compiled file', () => {
  const scripts = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
  for (const name of ['users', 'stampede']) {
    assert.match(scripts[`example:${name}`], new RegExp(`node dist/examples/${name}\\.js$`));
    assert.ok(existsSync(example(name)));
  }
});

for (const where of ['embedded', 'redis', 'stickynote-server'] as const) {
  const env = (): Record<string, string> => ({ REDIS_PORT: where === 'embedded' ? '' : String((where === 'redis' ? redis : ours).port) });

  test(`users example (${where}): cache-aside, invalidation on update, 100/min rate limit`, async () => {
    const out = await runExample('users', env());
    assert.match(out, /getUser\(42\) -> .*"name":"user 42".*database queries: 1 \(miss\)/);
    assert.match(out, /getUser\(42\) again +database queries: 1 \(hit\)/);
    assert.match(out, /Ada Lovelace \(pro\) +database queries: 3/);
    assert.match(out, /alice sent 120: 100 x 200, 20 x 429 \(Retry-After 60 s\)/);
    assert.match(out, /bob, meanwhile: 200/);
    const [, reads, queries] = /(\d+) reads -> (\d+) database queries/.exec(out)!;
    assert.equal(reads, '2000');
    assert.ok(Number(queries) <= 200, `at most one query per user: ${queries}`);
  });

  test(`stampede example (${where}): naive = one query per request, protected = one query (across processes on a server)`, async () => {
    const out = await runExample('stampede', env());
    const queries = (label: string) => Number(new RegExp(`^${label.replace(/[()+]/g, '\\$&')}\\s+(\\d+)`, 'm').exec(out)?.[1]);
    assert.equal(queries('naive cache-aside (seed Part 4)'), 1000, out);
    assert.equal(queries('SETNX lock + sleep 100 ms (seed Part 3)'), 1, out);
    assert.equal(queries('stickynote getOrSet'), 1, out);
    assert.equal(queries('stickynote getOrSet, grace (serve stale)'), 1, out);
    if (where === 'embedded') return; // one process: a server is needed to share the cache
    // Across processes, only the load lease keeps it to one query.
    assert.ok(queries('naive cache-aside, 3 processes') > 3, out);
    assert.equal(queries('stickynote getOrSet, 3 processes'), 1, out);
  });
}
