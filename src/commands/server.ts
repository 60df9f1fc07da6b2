import type { CommandDef } from './table.js';

/** Server commands: INFO, CONFIG, COMMAND, TIME, SHUTDOWN, DEBUG … */
export const serverCommands: CommandDef[] = [];
