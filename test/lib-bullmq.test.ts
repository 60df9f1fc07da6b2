import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Job, Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import { Engine } from '../src/embedded.js';
import { RawClient } from './support/raw-client.js';
import { startRedis, startStickynoteProcess, type RunningServer } from './support/servers.js';

/**
 * BullMQ (its Lua scripts, blocking BZPOPMIN on the marker key, pub/sub for QueueEvents) against
 * stickynote-server, and against real Redis in the same file as a check of the test itself.
 */

/** Everything a test opened, closed in after() so the file's process can exit. */
interface Closable {
  close(): Promise<unknown>;
}

/**
 * BullMQ's scripts append job events to a stream (XADD, XTRIM, XRANGE, XLEN, XDEL) and QueueEvents
 * reads it with XREAD BLOCK: until stickynote has them all, its side of this file is skipped.
 */
const STREAM_COMMANDS = ['XADD', 'XTRIM', 'XRANGE', 'XREVRANGE', 'XLEN', 'XDEL', 'XREAD'];
const info = new Engine().call('COMMAND', 'INFO', ...STREAM_COMMANDS) as unknown[];
const missing = STREAM_COMMANDS.filter((_, i) => info[i] === null);

for (const target of ['redis-server', 'stickynote-server'] as const) {
  const skip = target === 'stickynote-server' && missing.length > 0 ? `stickynote lacks ${missing.join(', ')}, which BullMQ uses` : false;
  describe(`BullMQ on ${target}`, { skip }, () => {
    let server: RunningServer;
    let connection: ConnectionOptions;
    const open: Closable[] = [];

    before(async () => {
      server = target === 'redis-server' ? await startRedis() : await startStickynoteProcess();
      connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
    });

    after(async () => {
      // Workers first (they hold blocking connections), then queues and event listeners.
      for (const c of open.reverse()) await c.close();
      await server.stop();
    });

    function track<T extends Closable>(c: T): T {
      open.push(c);
      return c;
    }

    /** A worker on `queue` that resolves `completed` with the first completed job. */
    function worker(queue: string, process: (job: Job) => Promise<unknown>, opts: { drainDelay?: number } = {}): { worker: Worker; completed: Promise<Job> } {
      const w = new Worker(queue, process, { connection, drainDelay: opts.drainDelay ?? 1, stalledInterval: 60000 });
      const completed = new Promise<Job>((resolve) => w.on('completed', (job) => resolve(job)));
      w.on('error', () => {});
      open.push(w);
      return { worker: w, completed };
    }

    test('add and process a job; the result is stored and reported by QueueEvents', async () => {
      const queue = track(new Queue('basic', { connection }));
      const events = track(new QueueEvents('basic', { connection }));
      await events.waitUntilReady();
      const { completed } = worker('basic', async (job) => (job.data as { a: number; b: number }).a + (job.data as { a: number; b: number }).b);
      const job = await queue.add('sum', { a: 2, b: 3 });
      const done = await completed;
      assert.equal(done.id, job.id);
      assert.equal(done.returnvalue, 5);
      assert.equal(await job.waitUntilFinished(events, 5000), 5);
      const stored = await Job.fromId(queue, job.id!);
      assert.equal(stored?.returnvalue, 5);
      assert.equal(await stored?.getState(), 'completed');
      assert.deepEqual(await queue.getJobCounts('completed', 'waiting', 'active'), { completed: 1, waiting: 0, active: 0 });
    });

    test('a delayed job waits in the delayed set, then runs', async () => {
      const queue = track(new Queue('delayed', { connection }));
      const job = await queue.add('later', { n: 1 }, { delay: 300 });
      assert.equal(await job.getState(), 'delayed');
      const { completed } = worker('delayed', async () => 'ran');
      const done = await completed;
      assert.equal(done.id, job.id);
      assert.ok(done.processedOn! - done.timestamp >= 300, `processed ${done.processedOn! - done.timestamp} ms after being added`);
    });

    test('a failing job is retried with backoff until it succeeds', async () => {
      const queue = track(new Queue('retried', { connection }));
      const attempts: number[] = [];
      const { worker: w, completed } = worker('retried', async (job) => {
        attempts.push(job.attemptsMade);
        if (job.attemptsMade < 2) throw new Error(`attempt ${job.attemptsMade} fails`);
        return 'third time';
      });
      const failures: string[] = [];
      w.on('failed', (_job, err) => failures.push(err.message));
      const job = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'exponential', delay: 50 } });
      const done = await completed;
      assert.equal(done.id, job.id);
      assert.equal(done.returnvalue, 'third time');
      assert.deepEqual(attempts, [0, 1, 2]);
      assert.deepEqual(failures, ['attempt 0 fails', 'attempt 1 fails']);
      const stored = await Job.fromId(queue, job.id!);
      assert.equal(stored?.attemptsMade, 3);
    });

    test('a job that fails every attempt ends in the failed set', async () => {
      const queue = track(new Queue('doomed', { connection }));
      const { worker: w } = worker('doomed', async () => {
        throw new Error('always');
      });
      const job = await queue.add('bad', {}, { attempts: 2, backoff: { type: 'fixed', delay: 20 } });
      await new Promise<void>((resolve) => w.on('failed', (j) => j?.attemptsMade === 2 && resolve()));
      const stored = await Job.fromId(queue, job.id!);
      assert.equal(await stored?.getState(), 'failed');
      assert.equal(stored?.failedReason, 'always');
    });

    test('an idle worker blocks for jobs (BZPOPMIN) and wakes when one is added', async () => {
      const queue = track(new Queue('blocking', { connection }));
      const { completed } = worker('blocking', async (job) => `got ${job.name}`, { drainDelay: 5 });
      // Wait until the worker's blocking connection sits in BZPOPMIN on the empty queue.
      const admin = await RawClient.connect(server.port);
      try {
        const blocked = async () => /flags=b .*cmd=bzpopmin/.test(((await admin.send('CLIENT', 'LIST')).reply as { v: string }).v);
        for (let i = 0; i < 100 && !(await blocked()); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(await blocked(), 'the worker blocks in BZPOPMIN');
      } finally {
        admin.close();
      }
      await queue.add('wake', {});
      const done = await completed;
      assert.equal(done.returnvalue, 'got wake');
    });
  });
}
