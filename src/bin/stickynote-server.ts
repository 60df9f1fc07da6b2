#!/usr/bin/env node
import { configFromArgv } from '../config/args.js';
import { StickyServer } from '../server/server.js';

/** `stickynote-server [config-file] [--option value …]`, the same syntax as redis-server. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '-v' || argv[0] === '--version') {
    console.log('stickynote-server v=0.1.0 (Redis 7.0 compatible)');
    return;
  }
  let config;
  let file = '';
  try {
    ({ config, file } = configFromArgv(argv));
  } catch (e) {
    console.error(`*** FATAL CONFIG FILE ERROR *** ${(e as Error).message}`);
    process.exit(1);
  }
  const server = new StickyServer({ config });
  server.context.configFile = file;
  const { port, bind } = config.typed;
  try {
    await server.listen(port, bind);
  } catch (e) {
    console.error(`Could not create server TCP listening socket ${bind}:${port}: ${(e as Error).message}`);
    process.exit(1);
  }
  console.log(`stickynote-server ready to accept connections on ${bind}:${server.port} (pid ${process.pid})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`Received ${signal}, shutting down.`);
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  server.context.shutdown = () => {
    void server.close().then(() => process.exit(0));
  };
}

void main();
