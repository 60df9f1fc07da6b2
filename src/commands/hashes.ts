import type { CommandDef } from './table.js';

/** hash commands (issue 3). */
export const hashCommands: CommandDef[] = [];
