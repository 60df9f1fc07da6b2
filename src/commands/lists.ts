import type { CommandDef } from './table.js';

/** list commands (issue 3). */
export const listCommands: CommandDef[] = [];
