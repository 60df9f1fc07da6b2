export { Lock, Locks, LockLostError, LockTimeoutError, type LockOptions, type LocksOptions, type WithLockOptions } from './lock.js';
