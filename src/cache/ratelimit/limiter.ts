import type { EmbeddedClient } from '../../embedded.js';
import type { Clock } from '../../engine/clock.js';
import { toMs, type Duration } from '../duration.js';
import { createStore, type RedisClientLike, type Script, type Store, type StoreReply } from '../stores/index.js';
import { taggedKey } from '../stores/keys.js';
import { fixedWindow, gcra, slidingWindow, tokenBucket, type RawDecision } from './algorithms.js';

/** One decision of a rate limiter. All durations are milliseconds from now. */
export interface RateLimitResult {
  /** Whether this request may proceed. Refused requests consume nothing. */
  allowed: boolean;
  /** The configured limit (window limit, bucket capacity or GCRA burst): for RateLimit-Limit headers. */
  limit: number;
  /** Requests still admissible right now after this one (0 when refused or exhausted). */
  remaining: number;
  /** Until the limiter is back to its full allowance for this id (window end, bucket full, TAT passed). */
  reset: number;
  /** Until a request of this cost could be admitted; 0 when allowed (for Retry-After headers). */
  retryAfter: number;
}

export type RateLimitAlgorithm =
  /** `limit` requests per window; the window starts at the id's first request and lasts `window`. */
  | { algorithm: 'fixed-window'; limit: number; window: Duration }
  /** At most `limit` requests in any `window` (exact sliding log of admitted requests). */
  | { algorithm: 'sliding-window'; limit: number; window: Duration }
  /** A bucket of `capacity` tokens refilled by `refillRate` tokens per `interval` (default 1 s). */
  | { algorithm: 'token-bucket'; capacity: number; refillRate: number; interval?: Duration }
  /** `limit` requests per `period`, evenly spaced, with bursts of up to `burst` (default `limit`). */
  | { algorithm: 'gcra'; limit: number; period: Duration; burst?: number };

export type RateLimiterOptions = RateLimitAlgorithm & {
  /**
   * Key prefix (default `rl:<algorithm>:`). Give each limiter its own: two limiters on one prefix
   * would count into each other's keys. The id becomes a hash tag (`rl:gcra:{user:42}`), so each
   * id's key lives in one cluster slot.
   */
  prefix?: string;
  /**
   * Whose time decides. Default: the store's clock (Redis TIME inside the script; the embedded
   * engine's clock), one clock for every app server sharing a key, so skewed app clocks cannot
   * grant extra requests. Pass a Clock to decide by the caller's time instead (tests, replays);
   * then every caller must share that clock. The fixed window reads no clock: its key's TTL is the window.
   */
  clock?: Clock;
};

interface Plan {
  script: Script;
  limit: number;
  /** ARGV after `now` and before `cost`. */
  params: number[];
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function positiveMs(name: string, d: Duration): number {
  const ms = toMs(d);
  if (!(ms > 0)) throw new RangeError(`${name} must be a positive duration, got ${String(d)}`);
  return ms;
}

function plan(o: RateLimitAlgorithm): Plan {
  switch (o.algorithm) {
    case 'fixed-window': {
      const limit = positiveInteger('limit', o.limit);
      return { script: fixedWindow, limit, params: [limit, Math.ceil(positiveMs('window', o.window))] };
    }
    case 'sliding-window': {
      const limit = positiveInteger('limit', o.limit);
      return { script: slidingWindow, limit, params: [limit, positiveMs('window', o.window)] };
    }
    case 'token-bucket': {
      const capacity = positiveInteger('capacity', o.capacity);
      if (!(o.refillRate > 0)) throw new RangeError(`refillRate must be positive, got ${o.refillRate}`);
      return { script: tokenBucket, limit: capacity, params: [capacity, o.refillRate / positiveMs('interval', o.interval ?? 1000)] };
    }
    case 'gcra': {
      const limit = positiveInteger('limit', o.limit);
      const burst = positiveInteger('burst', o.burst ?? limit);
      return { script: gcra, limit: burst, params: [positiveMs('period', o.period) / limit, burst] };
    }
  }
}

/**
 * A rate limiter over any store: one atomic step per decision (a Lua script on Redis, loaded by
 * SHA; its JS twin on the embedded engine), so concurrent callers across processes never get more
 * than the limit between them.
 *
 * ```ts
 * const limiter = new RateLimiter(store, { algorithm: 'gcra', limit: 100, period: '1m' });
 * const r = await limiter.limit(`user:${id}`);
 * if (!r.allowed) res.setHeader('Retry-After', Math.ceil(r.retryAfter / 1000));
 * ```
 */
export class RateLimiter {
  readonly algorithm: RateLimitAlgorithm['algorithm'];
  readonly prefix: string;
  private readonly plan: Plan;
  private readonly clock: Clock | undefined;
  private allowed = 0;
  private refused = 0;

  readonly store: Store;

  /** `backend`: a Store, an ioredis/node-redis client or cluster, or an embedded Engine (see createStore). */
  constructor(backend: Store | EmbeddedClient | RedisClientLike, options: RateLimiterOptions) {
    this.store = createStore(backend);
    this.algorithm = options.algorithm;
    this.plan = plan(options);
    this.prefix = options.prefix ?? `rl:${options.algorithm}:`;
    this.clock = options.clock;
  }

  /** The key holding `id`'s state. */
  key(id: string): string {
    return taggedKey(this.prefix, id);
  }

  /** Takes `cost` (default 1) from `id`'s allowance if it is all there; otherwise takes nothing. */
  async limit(id: string, options: { cost?: number } = {}): Promise<RateLimitResult> {
    const cost = positiveInteger('cost', options.cost ?? 1);
    if (cost > this.plan.limit) throw new RangeError(`cost ${cost} exceeds the limit ${this.plan.limit}: it could never be admitted`);
    const reply = await this.store.run(this.plan.script, [this.key(id)], [this.now(), ...this.plan.params, cost]);
    const result = this.result(reply);
    if (result.allowed) this.allowed++;
    else this.refused++;
    return result;
  }

  /** Decisions made by this limiter object since it was created (for metrics). */
  stats(): { allowed: number; refused: number } {
    return { allowed: this.allowed, refused: this.refused };
  }

  /** Forgets `id`'s state: its next request starts with the full allowance. */
  async reset(id: string): Promise<void> {
    await this.store.unlink([this.key(id)]);
  }

  /**
   * The time passed to the script: the caller's clock if configured; on the embedded engine its
   * own clock (read here, in the same synchronous step as the script); -1 asks Redis for TIME.
   */
  private now(): number {
    if (this.clock) return this.clock.now();
    return this.store.kind === 'embedded' ? this.store.now() : -1;
  }

  private result(reply: StoreReply): RateLimitResult {
    const [allowed, remaining, reset, retryAfter] = (reply as RawDecision).map(Number);
    return { allowed: allowed === 1, limit: this.plan.limit, remaining, reset, retryAfter };
  }
}
