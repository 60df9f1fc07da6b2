export { RateLimiter, type RateLimiterOptions, type RateLimitAlgorithm, type RateLimitResult } from './limiter.js';
export type { Duration } from './duration.js';
