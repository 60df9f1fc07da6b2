export { Engine, EmbeddedClient, type Arg } from './embedded.js';
export { StickyServer, startServer, type ServerOptions } from './server/server.js';
export { Config, ConfigError, parseMemory } from './config/config.js';
export { ManualClock, systemClock, type Clock } from './engine/clock.js';
export { ErrorReply, StatusReply, type ReplyValue } from './commands/reply.js';
export { ServerContext } from './commands/server-context.js';
export * from './cache/index.js';
