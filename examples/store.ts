/**
 * Where the examples keep their cache: the embedded engine by default (no server needed), or a
 * Redis-protocol server (Redis, Valkey, stickynote-server) when REDIS_PORT is set.
 */
import { Redis } from 'ioredis';
import { createStore, type Store } from '../src/cache/index.js';

export interface ExampleStore {
  store: Store;
  describe: string;
  close(): Promise<void>;
}

export function exampleStore(): ExampleStore {
  const port = process.env.REDIS_PORT;
  if (!port) {
    const store = createStore();
    return { store, describe: 'embedded engine (set REDIS_PORT to use a server)', close: () => store.close() };
  }
  const client = new Redis({ port: Number(port), host: process.env.REDIS_HOST ?? '127.0.0.1' });
  return { store: createStore(client), describe: `Redis-protocol server at ${client.options.host}:${port}`, close: async () => void client.disconnect() };
}

/** A positive integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isSafeInteger(v) && v > 0 ? v : fallback;
}
