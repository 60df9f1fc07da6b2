import type { CommandDef } from './table.js';
import { connectionCommands } from './connection.js';
import { serverCommands } from './server.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';
import { hashCommands } from './hashes.js';
import { listCommands } from './lists.js';
import { blockingCommands } from './blocking.js';
import { setCommands } from './sets.js';
import { zsetCommands } from './zsets.js';
import { sortCommands } from './sort.js';
import { transactionCommands } from './transactions.js';
import { pubsubCommands } from './pubsub.js';
import { trackingCommands } from './tracking.js';
import { scriptingCommands } from './scripting.js';
import { functionCommands } from './functions.js';
import { memoryCommands } from './memory.js';
import { streamCommands } from './streams.js';

/** Every command the server implements, one group file each (Redis: t_string.c, t_hash.c, …). */
export const ALL_COMMANDS: readonly CommandDef[] = [
  ...connectionCommands,
  ...serverCommands,
  ...keyCommands,
  ...stringCommands,
  ...hashCommands,
  ...listCommands,
  ...blockingCommands,
  ...setCommands,
  ...zsetCommands,
  ...sortCommands,
  ...transactionCommands,
  ...pubsubCommands,
  ...trackingCommands,
  ...scriptingCommands,
  ...functionCommands,
  ...memoryCommands,
  ...streamCommands,
];
