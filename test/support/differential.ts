import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startServer, type StickyServer } from '../../src/server/server.js';
import { Config } from '../../src/config/config.js';
import { RawClient, type RawReply, type Reply } from './raw-client.js';
import { startRedis, type RunningServer } from './servers.js';

type Arg = string | number | Buffer;

/**
 * A pair of connections, one to real Redis and one to stickynote, that receive the same commands.
 * In the style of miniredis's integration tests: `await t.do('SET', 'k', 'v')` sends to both and
 * asserts the replies are byte-for-byte equal.
 */
export class Pair {
  constructor(
    readonly redis: RawClient,
    readonly ours: RawClient,
  ) {}

  /** Sends to both; returns both replies without comparing. */
  async both(...args: Arg[]): Promise<[RawReply, RawReply]> {
    return Promise.all([this.redis.send(...args), this.ours.send(...args)]);
  }

  /** Sends to both and asserts byte-for-byte equal replies. Returns the reply. */
  async do(...args: Arg[]): Promise<Reply> {
    const [r, o] = await this.both(...args);
    assert.equal(o.raw.toString('latin1'), r.raw.toString('latin1'), `reply to ${fmt(args)}`);
    return r.reply;
  }

  /** Like do(), and also asserts that the reply is an error. */
  async error(...args: Arg[]): Promise<string> {
    const r = await this.do(...args);
    assert.equal(r.t, 'error', `expected an error from ${fmt(args)}`);
    return (r as { v: string }).v;
  }

  /** Compares replies whose element order is unspecified (KEYS, SMEMBERS…): sorted, recursively. */
  async unordered(...args: Arg[]): Promise<void> {
    const [r, o] = await this.both(...args);
    assert.deepEqual(normalize(o.reply), normalize(r.reply), `reply to ${fmt(args)}`);
  }

  /** Sends a command to both and checks the replies satisfy `check` (for random/time replies). */
  async check(args: Arg[], check: (reply: Reply, server: 'redis' | 'ours') => void): Promise<void> {
    const [r, o] = await this.both(...args);
    check(r.reply, 'redis');
    check(o.reply, 'ours');
  }

  close(): void {
    this.redis.close();
    this.ours.close();
  }
}

function fmt(args: Arg[]): string {
  return args.map((a) => JSON.stringify(String(a)).slice(0, 60)).join(' ');
}

function normalize(r: Reply): unknown {
  if ((r.t === 'array' || r.t === 'set' || r.t === 'map' || r.t === 'push') && r.v) {
    return r.v.map(normalize).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  return r;
}

export interface Servers {
  redis: RunningServer;
  ours: StickyServer;
  /** A fresh pair of connections (each test should FLUSHALL first or use own keys). */
  pair(): Promise<Pair>;
}

/**
 * Registers before/after hooks that start a real redis-server and an in-process stickynote
 * server (each on a free loopback port) for the enclosing describe() or file.
 * `redisArgs` go to both: to redis-server as flags and to our Config.
 */
export function differentialServers(redisArgs: string[] = []): Servers {
  const s = {} as Servers;
  const pairs: Pair[] = [];
  before(async () => {
    s.redis = await startRedis(redisArgs);
    const config = new Config();
    for (let i = 0; i < redisArgs.length; i += 2) config.set(redisArgs[i].replace(/^--/, ''), redisArgs[i + 1], true);
    s.ours = await startServer({ config, port: 0, host: '127.0.0.1' });
    s.pair = async () => {
      const p = new Pair(await RawClient.connect(s.redis.port), await RawClient.connect(s.ours.port));
      pairs.push(p);
      return p;
    };
  });
  after(async () => {
    for (const p of pairs) p.close();
    await s.ours?.close();
    await s.redis?.stop();
  });
  return s;
}
