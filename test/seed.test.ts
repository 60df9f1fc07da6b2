/**
 * The seed document's snippets, run unchanged against stickynote-server (the real binary) and, as
 * the oracle, against real Redis. The snippets live in test/fixtures/seed/ exactly as the seed
 * prints them (indentation restored, which the seed's text lost); this file adds only the
 * scaffolding the seed leaves implicit (imports, a fake DB, `redis_client`) and the checks.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PYTHON, run } from './support/process.js';
import { RawClient } from './support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/seed/', import.meta.url));
const SEED = fileURLToPath(new URL('../../../shared/seed/000_2fcd7aa95173c61e.txt', import.meta.url));

function fixture(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}

/**
 * Runs preamble + scaffolding + seed snippets + check as one Python program with Debian's python3
 * (redis-py 4.3.4). The check prints one JSON line, returned parsed.
 */
async function runPython(port: number, parts: string[]): Promise<Record<string, unknown>> {
  const program = [fixture('preamble.py'), ...parts].join('\n');
  const r = await run(PYTHON, ['-'], { input: program, env: { ...process.env, STICKYNOTE_PORT: String(port) }, timeoutMs: 30000 });
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

let redis: RunningServer;
let sticky: RunningServer;

/** Runs the same program on Redis and on stickynote; asserts equal results and returns ours. */
async function runBoth(parts: string[]): Promise<Record<string, unknown>> {
  const [theirs, ours] = await Promise.all([runPython(redis.port, parts), runPython(sticky.port, parts)]);
  assert.deepEqual(ours, theirs, 'stickynote and Redis give the same results');
  return ours;
}

before(async () => {
  [redis, sticky] = await Promise.all([startRedis(), startStickynoteProcess()]);
});
after(async () => {
  await Promise.all([redis?.stop(), sticky?.stop()]);
});

describe('seed fixtures are the seed text', () => {
  // The seed lives beside the project (../shared), not in it; a clone on its own has only the fixtures.
  it('every line of every snippet appears verbatim in the seed', { skip: existsSync(SEED) ? false : `no seed at ${SEED}` }, () => {
    const seedLines = new Set(readFileSync(SEED, 'utf8').split('\n').map((l) => l.trim()));
    for (const name of ['ttl.py', 'stampede.py', 'cache_aside.py', 'invalidate.py', 'rate_limit.py', 'shell.sh']) {
      for (const line of fixture(name).split('\n')) {
        if (line.trim() === '') continue;
        assert.ok(seedLines.has(line.trim()), `${name}: ${JSON.stringify(line)} is not in the seed`);
      }
    }
  });
});

describe('seed: Python snippets with redis-py', () => {
  it('TTL example: set ex=300, ttl', async () => {
    const out = await runBoth([
      'user_data = {"name": "Ada", "email": "ada@example.com", "age": 36}',
      'r0 = redis.Redis(); r0.delete("user:123:profile", "user:123:gone")',
      fixture('ttl.py'),
      `r.set("user:123:no-ttl", "x")
print(json.dumps({
    "ttl_in_range": 299 <= r.ttl("user:123:profile") <= 300,
    "value": json.loads(r.get("user:123:profile")),
    "no_ttl": r.ttl("user:123:no-ttl"),
    "gone": r.ttl("user:123:gone"),
}))`,
    ]);
    assert.deepEqual(out, { ttl_in_range: true, value: { name: 'Ada', email: 'ada@example.com', age: 36 }, no_ttl: -1, gone: -2 });
  });

  const stampedeScaffold = `calls = 0
def expensive_db_query():
    global calls
    calls += 1
    # Not a multiple of the waiters' 0.1 s retry period, so no waiter wakes exactly at the handover.
    time.sleep(0.25)
    return {"report": "heavy", "rows": 42}`;

  it('stampede lock: 8 concurrent misses, one regeneration, everyone gets the data', async () => {
    const out = await runBoth([
      stampedeScaffold,
      fixture('stampede.py'),
      `import threading
r.delete("report:1", "lock:report:1")
results = []
threads = [threading.Thread(target=lambda: results.append(get_heavy_data("report:1"))) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
out = {"calls": calls, "n": len(results), "all_equal": all(x == results[0] for x in results), "first": results[0],
       "lock_released": r.get("lock:report:1") is None, "ttl_in_range": 299 <= r.ttl("report:1") <= 300}
get_heavy_data("report:1")
out["calls_after_hit"] = calls
print(json.dumps(out))`,
    ]);
    assert.deepEqual(out, { calls: 1, n: 8, all_equal: true, first: { report: 'heavy', rows: 42 }, lock_released: true, ttl_in_range: true, calls_after_hit: 1 });
  });

  it('stampede lock held elsewhere: the caller waits and reads what the holder wrote', async () => {
    const out = await runBoth([
      stampedeScaffold,
      fixture('stampede.py'),
      `import threading
r.delete("report:2")
r.set("lock:report:2", "1", ex=10)  # another process is regenerating
results = []
t = threading.Thread(target=lambda: results.append(get_heavy_data("report:2")))
t.start()
time.sleep(0.3)
r.set("report:2", json.dumps({"from": "holder"}), ex=300)
r.delete("lock:report:2")
t.join(10)
print(json.dumps({"calls": calls, "results": results, "lock_ttl_was_set": True}))`,
    ]);
    assert.deepEqual(out, { calls: 0, results: [{ from: 'holder' }], lock_ttl_was_set: true });
  });

  const userScaffold = `redis_client = redis.Redis()
DB = {7: {"id": 7, "name": "Ada", "email": "ada@example.com"}}
db_reads = 0
class _Rows:
    def __init__(self, id): self.id = id
    def update(self, **fields): DB[self.id].update(fields); return 1
class _Manager:
    def get(self, id):
        global db_reads
        db_reads += 1
        return dict(DB[id])
    def filter(self, id): return _Rows(id)
class User:
    objects = _Manager()
def serialize(user): return user
redis_client.delete("user:7")`;

  it('cache-aside get_user: miss goes to the DB and fills the cache, hit does not', async () => {
    const out = await runBoth([
      userScaffold,
      fixture('cache_aside.py'),
      `first = get_user(7); reads_after_miss = db_reads
second = get_user(7); reads_after_hit = db_reads
print(json.dumps({"first": first, "second": second, "reads_after_miss": reads_after_miss, "reads_after_hit": reads_after_hit,
                  "cached": json.loads(redis_client.get("user:7")), "ttl_in_range": 299 <= redis_client.ttl("user:7") <= 300}))`,
    ]);
    const ada = { id: 7, name: 'Ada', email: 'ada@example.com' };
    assert.deepEqual(out, { first: ada, second: ada, reads_after_miss: 1, reads_after_hit: 1, cached: ada, ttl_in_range: true });
  });

  it('update_user invalidates: the next read sees the new data', async () => {
    const out = await runBoth([
      userScaffold,
      fixture('cache_aside.py'),
      fixture('invalidate.py'),
      `get_user(7)
update_user(7, {"email": "ada@new.example"})
cached_after_update = redis_client.get("user:7")
fresh = get_user(7)
print(json.dumps({"cached_after_update": cached_after_update, "fresh": fresh, "db_reads": db_reads,
                  "recached": json.loads(redis_client.get("user:7"))}))`,
    ]);
    const ada = { id: 7, name: 'Ada', email: 'ada@new.example' };
    assert.deepEqual(out, { cached_after_update: null, fresh: ada, db_reads: 2, recached: ada });
  });

  it('is_rate_limited: 100 requests per minute pass, the 101st is limited', async () => {
    const out = await runBoth([
      'redis_client = redis.Redis()',
      fixture('rate_limit.py'),
      `# Retry with a new user if the run straddled a minute boundary (the key changes every minute).
for i in range(3):
    uid = 9000 + i
    minute = int(time.time() // 60)
    redis_client.delete(f"rate:{uid}:{minute}")
    results = [is_rate_limited(uid) for _ in range(101)]
    if int(time.time() // 60) == minute:
        break
key = f"rate:{uid}:{minute}"
print(json.dumps({"first_limited": results.index(True), "limited": results.count(True), "count": int(redis_client.get(key)),
                  "ttl_in_range": 59 <= redis_client.ttl(key) <= 60, "custom_limit": [is_rate_limited(uid + 100, limit=2) for _ in range(3)]}))`,
    ]);
    assert.deepEqual(out, { first_limited: 100, limited: 1, count: 101, ttl_in_range: true, custom_limit: [false, false, true] });
  });
});

describe('seed: shell lines with redis-cli', () => {
  async function runShell(port: number): Promise<{ stdout: string; left: (string | null)[] }> {
    const keys = ['user:123:profile', 'user:1', 'user:2', 'user:3:sessions', 'session:1', 'users'];
    const c = await RawClient.connect(port);
    for (const k of keys) await c.send('SET', k, `value of ${k}`);
    // The seed's lines as written, with only the port added to each redis-cli.
    const script = fixture('shell.sh').replaceAll('redis-cli', `redis-cli -p ${port}`);
    const r = await run('sh', ['-c', script], { timeoutMs: 20000 });
    assert.equal(r.code, 0, r.stderr);
    const left: (string | null)[] = [];
    for (const k of keys) {
      const reply = (await c.send('GET', k)).reply;
      left.push(reply.t === 'bulk' ? reply.v : null);
    }
    c.close();
    return { stdout: r.stdout, left };
  }

  it('DEL "user:123:profile", then --scan --pattern "user:*" | xargs redis-cli DEL', async () => {
    const [theirs, ours] = await Promise.all([runShell(redis.port), runShell(sticky.port)]);
    assert.deepEqual(ours, theirs);
    // 1 for the single DEL, then how many user:* keys the scan found (earlier tests leave some too).
    assert.match(ours.stdout, /^1\n([3-9]|\d\d+)\n$/);
    const rest = await run('redis-cli', ['-p', String(sticky.port), '--scan', '--pattern', 'user:*']);
    assert.equal(rest.stdout, '');
    assert.deepEqual(ours.left, [null, null, null, null, 'value of session:1', 'value of users']);
  });
});
