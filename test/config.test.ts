import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Config, ConfigError, parseMemory } from '../src/config/config.js';
import { Engine } from '../src/embedded.js';
import { differentialServers } from './support/differential.js';
import type { Reply } from './support/raw-client.js';

/** A CONFIG GET reply as a name → value map. */
function pairs(r: Reply): Map<string, string> {
  assert.ok(r.t === 'array' || r.t === 'map', `expected a map, got ${r.t}`);
  const items = (r.v ?? []) as { v: string }[];
  const m = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) m.set(items[i].v, items[i + 1].v);
  return m;
}

/** Parameters whose value legitimately differs between the two servers of a pair. */
const DIFFERENT = new Set(['port']);

describe('CONFIG GET matches Redis 7.0', () => {
  const servers = differentialServers();

  it('every parameter and value of CONFIG GET * (but the port)', async () => {
    const t = await servers.pair();
    const [r, o] = await t.both('CONFIG', 'GET', '*');
    const redis = pairs(r.reply);
    const ours = pairs(o.reply);
    for (const k of DIFFERENT) {
      redis.delete(k);
      ours.delete(k);
    }
    assert.deepEqual([...ours.keys()].sort(), [...redis.keys()].sort());
    for (const [k, v] of redis) assert.equal(ours.get(k), v, `CONFIG GET ${k}`);
  });

  it('exact names (any case), aliases, duplicates and unknown names', async () => {
    const t = await servers.pair();
    for (const name of [
      'maxmemory',
      'MAXMEMORY',
      'maxmemory-policy',
      'save',
      'appendonly',
      'databases',
      'hash-max-ziplist-entries',
      'list-max-ziplist-size',
      'lua-time-limit',
      'busy-reply-threshold',
      'client-output-buffer-limit',
      'notify-keyspace-events',
      'slowlog-log-slower-than',
      'latency-tracking-info-percentiles',
      'maxmemory-clients',
      'unixsocketperm',
      'slaveof',
      'use-exit-on-panic',
      'nosuch',
    ]) {
      await t.do('CONFIG', 'GET', name);
    }
    await t.do('CONFIG', 'GET', 'maxmemory', 'MAXMEMORY', 'maxmemory');
    await t.unordered('CONFIG', 'GET', 'maxmemory*', 'hz');
    await t.unordered('CONFIG', 'GET', '*ziplist*');
    await t.unordered('CONFIG', 'GET', 'lazyfree-*', '*-lazy-*');
    await t.unordered('CONFIG', 'GET', 'use-exit*');
    await t.error('CONFIG', 'GET');
  });
});

describe('CONFIG SET matches Redis 7.0', () => {
  const servers = differentialServers();

  it('values, units, aliases and normalisation round-trip through CONFIG GET', async () => {
    const t = await servers.pair();
    const cases: [string, string][] = [
      ['maxmemory', '10MB'],
      ['maxmemory', '1gb'],
      ['maxmemory', '512k'],
      ['maxmemory', ''],
      ['maxmemory', 'mb'],
      ['maxmemory', '18446744073709551615'],
      ['maxmemory', '0'],
      ['maxmemory-policy', 'ALLKEYS-LRU'],
      ['maxmemory-policy', 'noeviction'],
      ['hz', '100000'],
      ['hz', '0'],
      ['hz', '10'],
      ['appendonly', 'NO'],
      ['save', '100 10 20 5'],
      ['save', ''],
      ['notify-keyspace-events', 'KEA'],
      ['notify-keyspace-events', 'Ex'],
      ['notify-keyspace-events', 'gz$lKm'],
      ['notify-keyspace-events', 'An'],
      ['notify-keyspace-events', ''],
      ['client-output-buffer-limit', 'normal 1mb 2mb 3'],
      ['client-output-buffer-limit', 'replica 1 2 3 pubsub 4 5 6'],
      ['client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60'],
      ['maxmemory-clients', '10%'],
      ['maxmemory-clients', '0'],
      ['lua-time-limit', '6000'],
      ['hash-max-ziplist-entries', '100'],
      ['list-max-listpack-size', '-1'],
      ['shutdown-on-sigint', 'now nosave'],
      ['shutdown-on-sigint', 'default'],
      ['latency-tracking-info-percentiles', '50 99.5'],
      ['oom-score-adj-values', '0 200 800'],
      ['slowlog-log-slower-than', '-1'],
      ['timeout', '0'],
    ];
    for (const [name, value] of cases) {
      await t.do('CONFIG', 'SET', name, value);
      await t.do('CONFIG', 'GET', name);
    }
  });

  it("Redis's error texts", async () => {
    const t = await servers.pair();
    const errors: string[][] = [
      ['foo', 'bar'],
      ['maxmemory', '1.5mb'],
      ['maxmemory', '-1'],
      ['maxmemory', '1 mb'],
      ['hz', 'abc'],
      ['hz', '-1'],
      ['hz', ' 5'],
      ['hz', '+5'],
      ['hz', '99999999999999999999'],
      ['maxclients', '0'],
      ['list-max-listpack-size', '99999999999'],
      ['proto-max-bulk-len', '1'],
      ['proto-max-bulk-len', '18446744073709551615'],
      ['maxmemory-policy', 'foo'],
      ['appendonly', 'maybe'],
      ['databases', '3'],
      ['unixsocketperm', '1'],
      ['dir', '/tmp'],
      ['dbfilename', 'a/b'],
      ['save', 'abc'],
      ['save', '10 1 20'],
      ['save', '0 1'],
      ['notify-keyspace-events', 'Z'],
      ['client-output-buffer-limit', 'normal 1 2'],
      ['client-output-buffer-limit', 'master 1 2 3'],
      ['client-output-buffer-limit', 'normal a 2 3'],
      ['maxmemory-clients', '200%'],
      ['maxmemory-clients', 'x%'],
      ['shutdown-on-sigint', 'foo'],
      ['propagation-error-behavior', 'x'],
      ['oom-score-adj-values', '1 2'],
      ['oom-score-adj-values', '1 2 5000'],
      ['latency-tracking-info-percentiles', '50 101'],
      ['latency-tracking-info-percentiles', 'a'],
      ['bind', '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17'],
      ['cluster-announce-hostname', 'a b'],
      ['maxmemory', '1', 'maxmemory', '2'],
      ['maxmemory', '1', 'MAXMEMORY', '2'],
      ['lfu-log-factor', '1', 'foo', '2'],
      ['databases', '1', 'foo', '2'],
      ['hz', 'x', 'databases', '1'],
      ['databases', '1', 'hz', 'x'],
      ['replicaof', 'no one'],
    ];
    for (const e of errors) await t.error('CONFIG', 'SET', ...e);
    await t.error('CONFIG', 'SET', 'maxmemory');
    await t.error('CONFIG', 'SET');
    await t.error('CONFIG', 'SET', 'a', 'b', 'c');
  });

  it('several pairs at once, all or nothing', async () => {
    const t = await servers.pair();
    await t.do('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '20');
    await t.unordered('CONFIG', 'GET', 'maxmemory', 'maxmemory-policy', 'lfu-log-factor');
    await t.error('CONFIG', 'SET', 'maxmemory', '20mb', 'hz', 'abc');
    await t.do('CONFIG', 'GET', 'maxmemory');
    await t.do('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'lfu-log-factor', '10');
  });

  it('CONFIG RESETSTAT, REWRITE without a config file, HELP, unknown subcommand', async () => {
    const t = await servers.pair();
    await t.do('CONFIG', 'RESETSTAT');
    await t.error('CONFIG', 'REWRITE');
    await t.do('CONFIG', 'HELP');
    await t.error('CONFIG', 'FOO');
    await t.error('CONFIG');
  });
});

describe('Config table', () => {
  it('parses memory values like memtoull', () => {
    assert.equal(parseMemory('100mb'), 100 * 1024 * 1024);
    assert.equal(parseMemory('1G'), 1e9);
    assert.equal(parseMemory('512k'), 512000);
    assert.equal(parseMemory('7'), 7);
    assert.equal(parseMemory(''), 0);
    assert.equal(parseMemory('1.5mb'), null);
    assert.equal(parseMemory('-1'), null);
  });

  it('config file `save` lines add up after replacing the default; CONFIG SET replaces', () => {
    const config = new Config();
    config.set('save', '900 1', true);
    config.set('save', '300 10', true);
    assert.equal(config.get('save'), '900 1 300 10');
    config.set('save', '60 5');
    assert.equal(config.get('save'), '60 5');
  });

  it('keeps the typed view current and refuses immutable parameters at run time', () => {
    const config = new Config();
    config.set('maxmemory', '2mb');
    config.set('maxmemory-policy', 'allkeys-lru');
    config.set('notify-keyspace-events', 'xKE');
    assert.equal(config.typed.maxmemory, 2 * 1024 * 1024);
    assert.equal(config.typed.maxmemoryPolicy, 'allkeys-lru');
    assert.equal(config.typed.notifyKeyspaceEvents, 'xKE');
    assert.throws(() => config.set('databases', '4'), ConfigError);
    config.set('databases', '4', true);
    assert.equal(config.typed.databases, 4);
  });

  it('CONFIG REWRITE keeps comments and unknown lines, replaces changed options, appends new ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stickynote-config-'));
    const file = join(dir, 'redis.conf');
    writeFileSync(file, '# my config\nport 6380\nmaxmemory 1mb\nrename-command FOO BAR\n');
    const engine = new Engine();
    engine.context.configFile = file;
    engine.call('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lru');
    assert.equal(String(engine.call('CONFIG', 'REWRITE')), 'OK');
    const text = readFileSync(file, 'latin1');
    assert.match(text, /^# my config\n/);
    assert.match(text, /\nmaxmemory 10mb\n/);
    assert.match(text, /\nrename-command FOO BAR\n/);
    assert.match(text, /# Generated by CONFIG REWRITE\n(.*\n)*maxmemory-policy allkeys-lru\n/);
    assert.doesNotMatch(text, /port 6380/);
  });
});
