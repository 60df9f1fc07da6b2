import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as prom from 'prom-client';
import { Locks } from '../src/cache/locks/index.js';
import { PrometheusExporter } from '../src/cache/metrics/index.js';
import { RateLimiter } from '../src/cache/ratelimit/index.js';
import { createCache } from '../src/cache/index.js';
import { EmbeddedStore } from '../src/cache/stores/embedded.js';

test('Prometheus exporter: rate limiter and lock counters, labelled by name, read at scrape time', async () => {
  const store = new EmbeddedStore();
  const api = new RateLimiter(store, { algorithm: 'gcra', limit: 2, period: '1m' });
  const login = new RateLimiter(store, { algorithm: 'fixed-window', limit: 1, window: '1m' });
  const locks = new Locks(store, { wait: 0 });
  const exporter = new PrometheusExporter(prom).add('ratelimit', 'api', api).add('ratelimit', 'login', login).add('lock', 'jobs', locks);
  for (let i = 0; i < 3; i++) await api.limit('u');
  await login.limit('u');
  const lock = await locks.acquire('x');
  await assert.rejects(locks.acquire('x'));
  await lock.release();

  const text = await exporter.metrics();
  assert.match(text, /# TYPE stickynote_ratelimit_allowed_total counter/);
  assert.match(text, /stickynote_ratelimit_allowed_total\{name="api"\} 2\n/);
  assert.match(text, /stickynote_ratelimit_refused_total\{name="api"\} 1\n/);
  assert.match(text, /stickynote_ratelimit_allowed_total\{name="login"\} 1\n/);
  assert.match(text, /stickynote_lock_acquired_total\{name="jobs"\} 1\n/);
  assert.match(text, /stickynote_lock_contended_total\{name="jobs"\} 1\n/);
  assert.match(text, /stickynote_lock_timeouts_total\{name="jobs"\} 1\n/);
  assert.match(text, /stickynote_lock_released_total\{name="jobs"\} 1\n/);
  // Later scrapes see later totals (mirrored, not added twice).
  await api.limit('v');
  assert.match(await exporter.metrics(), /stickynote_ratelimit_allowed_total\{name="api"\} 3\n/);
  assert.throws(() => exporter.add('ratelimit', 'api', api), /already exported/);
  assert.equal(exporter.contentType.startsWith('text/plain'), true);
});

test('Prometheus exporter: the cache\'s stats() and a load-duration histogram from its events', async () => {
  const cache = createCache();
  const exporter = new PrometheusExporter(prom).add('cache', 'users', cache);
  await cache.getOrSet('u:1', async () => ({ name: 'Ada' }));
  await cache.getOrSet('u:1', async () => ({ name: 'never loaded' }));
  await cache.getOrSet('u:2', async () => 0);
  const text = await exporter.metrics();
  assert.match(text, /stickynote_cache_hits_total\{name="users"\} 1\n/);
  assert.match(text, /stickynote_cache_misses_total\{name="users"\} 2\n/);
  assert.match(text, /stickynote_cache_loads_total\{name="users"\} 2\n/);
  assert.match(text, /# TYPE stickynote_cache_l1_size gauge/);
  assert.match(text, /stickynote_cache_load_duration_seconds_count\{name="users"\} 2\n/);
  await cache.close();
});
