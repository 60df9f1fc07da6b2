/**
 * The four rate-limiting algorithms, each written twice with the same semantics:
 * - as one Lua script for Redis-protocol servers (run by EVALSHA, so each decision is one atomic step
 *   on the server, exact however many clients race), and
 * - as a JS function over the embedded engine's synchronous `call`, which runs to completion without
 *   yielding to the event loop and is therefore just as atomic.
 *
 * Every script takes ARGV[1] = now in ms, or -1 for "the store's own clock" (Redis TIME inside the
 * script; the embedded engine's clock), and returns {allowed 0|1, remaining, reset ms, retryAfter ms}.
 * Durations are relative (ms from now), so they mean the same thing whichever clock decided.
 */
import { defineScript, type SyncCall } from '../stores/types.js';

/** Lua helpers shared by the scripts: the clock and exact number formatting (redis.call would use %.14g). */
const PRELUDE = `
local function clock(v)
  local n = tonumber(v)
  if n >= 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function num(x) return string.format('%.17g', x) end
`;

/** Raw reply of every limiter script: [allowed 0|1, remaining, reset ms, retryAfter ms]. */
export type RawDecision = [number, number, number, number];

/** Tolerance for float sums (k × interval vs. burst × interval) so the k-th of k requests is not refused by an ulp. */
const EPS = 1e-6;

/** The limiter always passes the engine's clock to the embedded twins; -1 (server time) is Date.now() here. */
function clockOf(arg: string): number {
  const n = Number(arg);
  return n >= 0 ? n : Date.now();
}

function int(reply: unknown): number {
  return reply === null || reply === undefined ? 0 : Number(reply);
}

/**
 * Fixed window (the seed's INCR + EXPIRE, made atomic). The window starts at the first request and
 * lasts `window` ms: the key's TTL is the window, so no clock is read at all and a key never lives
 * without a TTL (the seed's version leaks one if the process dies between INCR and EXPIRE; such a
 * counter found here is given the window as its TTL). INCRBY first keeps the admitted path (the
 * common one) at two commands; a refusal takes its cost back, so refused requests are not counted.
 * KEYS: counter. ARGV: now (unused), limit, windowMs, cost.
 */
export const fixedWindow = defineScript(
  'ratelimit:fixed',
  `
local limit, window, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local count = redis.call('INCRBY', KEYS[1], cost)
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
if count > limit then
  count = redis.call('DECRBY', KEYS[1], cost)
  return {0, math.max(0, limit - count), ttl, ttl}
end
return {1, limit - count, ttl, 0}
`,
  (call: SyncCall, keys: string[], argv: string[]): RawDecision => {
    const [limit, window, cost] = [Number(argv[1]), Number(argv[2]), Number(argv[3])];
    const key = keys[0];
    let count = int(call('INCRBY', key, String(cost)));
    let ttl = int(call('PTTL', key));
    if (ttl < 0) {
      call('PEXPIRE', key, String(window));
      ttl = window;
    }
    if (count > limit) {
      count = int(call('DECRBY', key, String(cost)));
      return [0, Math.max(0, limit - count), ttl, ttl];
    }
    return [1, limit - count, ttl, 0];
  },
);

/**
 * Sliding window log: a sorted set of the admitted requests' timestamps. Exact: a request is admitted
 * only if fewer than `limit` requests were admitted in the `window` ms before it (the two-window
 * counter is only an estimate). Memory is bounded by `limit` members per key since refused requests
 * are not logged. KEYS: the log. ARGV: now, limit, windowMs, cost.
 */
export const slidingWindow = defineScript(
  'ratelimit:sliding',
  `${PRELUDE}
local now = clock(ARGV[1])
local limit, window, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', num(now - window))
local count = redis.call('ZCARD', KEYS[1])
if count + cost > limit then
  local first = count + cost - limit - 1
  local oldest = redis.call('ZRANGE', KEYS[1], first, first, 'WITHSCORES')
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  return {0, limit - count, math.ceil(tonumber(newest[2]) + window - now), math.ceil(tonumber(oldest[2]) + window - now)}
end
for i = 1, cost do
  local member = num(now) .. ':' .. (count + i)
  while redis.call('ZADD', KEYS[1], 'NX', num(now), member) == 0 do member = member .. '+' end
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window))
return {1, limit - count - cost, math.ceil(window), 0}
`,
  (call: SyncCall, keys: string[], argv: string[]): RawDecision => {
    const now = clockOf(argv[0]);
    const [limit, window, cost] = [Number(argv[1]), Number(argv[2]), Number(argv[3])];
    const key = keys[0];
    call('ZREMRANGEBYSCORE', key, '-inf', String(now - window));
    const count = int(call('ZCARD', key));
    if (count + cost > limit) {
      const first = count + cost - limit - 1;
      const oldest = call('ZRANGE', key, String(first), String(first), 'WITHSCORES') as unknown[];
      const newest = call('ZRANGE', key, '-1', '-1', 'WITHSCORES') as unknown[];
      return [0, limit - count, Math.ceil(scoreOf(newest) + window - now), Math.ceil(scoreOf(oldest) + window - now)];
    }
    for (let i = 1; i <= cost; i++) {
      let member = `${now}:${count + i}`;
      while (int(call('ZADD', key, 'NX', String(now), member)) === 0) member += '+';
    }
    call('PEXPIRE', key, String(Math.ceil(window)));
    return [1, limit - count - cost, Math.ceil(window), 0];
  },
);

/** The score of a one-member ZRANGE … WITHSCORES reply (RESP3 pairs or RESP2 flat). */
function scoreOf(reply: unknown[]): number {
  const first = reply[0];
  return Array.isArray(first) ? Number(first[1]) : Number(reply[1]);
}

/**
 * Token bucket: `capacity` tokens, refilled continuously at `rate` tokens per ms; a request takes
 * `cost` tokens. Stored as a hash {t: tokens, ts: time of t} that expires when the bucket would be
 * full again (a missing key is a full bucket), so idle ids cost nothing. Refusals write nothing.
 * KEYS: the bucket. ARGV: now, capacity, tokensPerMs, cost.
 */
export const tokenBucket = defineScript(
  'ratelimit:bucket',
  `${PRELUDE}
local now = clock(ARGV[1])
local capacity, rate, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens, ts = capacity, now
if state[1] then
  ts = tonumber(state[2])
  tokens = math.min(capacity, tonumber(state[1]) + math.max(0, now - ts) * rate)
  if now > ts then ts = now end
end
if tokens + ${EPS} < cost then
  return {0, math.floor(tokens + ${EPS}), math.ceil((capacity - tokens) / rate), math.ceil((cost - tokens) / rate)}
end
tokens = tokens - cost
local full = math.ceil((capacity - tokens) / rate)
redis.call('HSET', KEYS[1], 't', num(tokens), 'ts', num(ts))
redis.call('PEXPIRE', KEYS[1], full)
return {1, math.floor(tokens + ${EPS}), full, 0}
`,
  (call: SyncCall, keys: string[], argv: string[]): RawDecision => {
    const now = clockOf(argv[0]);
    const [capacity, rate, cost] = [Number(argv[1]), Number(argv[2]), Number(argv[3])];
    const key = keys[0];
    const [t, stamp] = call('HMGET', key, 't', 'ts') as (string | null)[];
    let tokens = capacity;
    let ts = now;
    if (t !== null) {
      ts = Number(stamp);
      tokens = Math.min(capacity, Number(t) + Math.max(0, now - ts) * rate);
      if (now > ts) ts = now;
    }
    if (tokens + EPS < cost) {
      return [0, Math.floor(tokens + EPS), Math.ceil((capacity - tokens) / rate), Math.ceil((cost - tokens) / rate)];
    }
    tokens -= cost;
    const full = Math.ceil((capacity - tokens) / rate);
    call('HSET', key, 't', String(tokens), 'ts', String(ts));
    call('PEXPIRE', key, String(full));
    return [1, Math.floor(tokens + EPS), full, 0];
  },
);

/**
 * GCRA (generic cell rate algorithm, as redis-cell): one number per key, the theoretical arrival time
 * (TAT) of the next request if requests came exactly every `interval` ms. A request is admitted if
 * TAT + cost × interval − burst × interval ≤ now, so up to `burst` requests may arrive at once and
 * the sustained rate is one per `interval`. The key expires when TAT passes (nothing left to remember).
 * KEYS: the TAT. ARGV: now, intervalMs, burst, cost.
 */
export const gcra = defineScript(
  'ratelimit:gcra',
  `${PRELUDE}
local now = clock(ARGV[1])
local interval, burst, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + cost * interval
local allowAt = nextTat - tolerance
if allowAt > now + ${EPS} then
  return {0, math.max(0, math.floor((tolerance - (tat - now)) / interval + ${EPS})), math.ceil(tat - now), math.ceil(allowAt - now)}
end
redis.call('SET', KEYS[1], num(nextTat), 'PX', math.ceil(nextTat - now))
return {1, math.max(0, math.floor((tolerance - (nextTat - now)) / interval + ${EPS})), math.ceil(nextTat - now), 0}
`,
  (call: SyncCall, keys: string[], argv: string[]): RawDecision => {
    const now = clockOf(argv[0]);
    const [interval, burst, cost] = [Number(argv[1]), Number(argv[2]), Number(argv[3])];
    const key = keys[0];
    const tolerance = interval * burst;
    const stored = call('GET', key);
    let tat = stored === null ? 0 : Number(stored);
    if (tat < now) tat = now;
    const nextTat = tat + cost * interval;
    const allowAt = nextTat - tolerance;
    if (allowAt > now + EPS) {
      return [0, Math.max(0, Math.floor((tolerance - (tat - now)) / interval + EPS)), Math.ceil(tat - now), Math.ceil(allowAt - now)];
    }
    call('SET', key, String(nextTat), 'PX', String(Math.ceil(nextTat - now)));
    return [1, Math.max(0, Math.floor((tolerance - (nextTat - now)) / interval + EPS)), Math.ceil(nextTat - now), 0];
  },
);
