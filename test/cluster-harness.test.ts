import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Cluster } from 'ioredis';
import { startCluster, type RunningCluster } from './support/cluster.js';

let cluster: RunningCluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

test('cluster harness: 3 masters, keys spread over all of them', async () => {
  const c = new Cluster(cluster.nodes);
  try {
    for (let i = 0; i < 30; i++) await c.set(`k${i}`, String(i));
    const sizes = await Promise.all(c.nodes('master').map((n) => n.dbsize()));
    assert.equal(sizes.length, 3);
    assert.ok(sizes.every((s) => s > 0), `keys on every master: ${sizes}`);
    assert.equal(await c.get('k7'), '7');
  } finally {
    c.disconnect();
  }
});
