export { RateLimiter, type RateLimiterOptions, type RateLimitAlgorithm, type RateLimitResult } from './limiter.js';
