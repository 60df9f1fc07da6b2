import type { CommandDef } from './table.js';

/** zset commands (issue 3). */
export const zsetCommands: CommandDef[] = [];
