import type { CommandDef } from './table.js';

/** set commands (issue 3). */
export const setCommands: CommandDef[] = [];
