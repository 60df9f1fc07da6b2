/** The part of redlock v4's API the tests use (the package ships no types). */
declare module 'redlock' {
  import type { EventEmitter } from 'node:events';

  interface RedlockClient {
    eval(...args: unknown[]): unknown;
  }

  namespace Redlock {
    interface Lock {
      readonly resource: string;
      readonly value: string;
      readonly expiration: number;
      unlock(): Promise<void>;
      extend(ttl: number): Promise<Lock>;
    }
    interface Options {
      driftFactor?: number;
      retryCount?: number;
      retryDelay?: number;
      retryJitter?: number;
    }
  }

  class Redlock extends EventEmitter {
    constructor(clients: RedlockClient[], options?: Redlock.Options);
    lock(resource: string | string[], ttl: number): Promise<Redlock.Lock>;
    unlock(lock: Redlock.Lock): Promise<void>;
    quit(): Promise<void>;
  }

  export = Redlock;
}
