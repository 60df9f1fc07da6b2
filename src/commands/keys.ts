import type { CommandDef } from './table.js';

/** Generic keyspace commands: DEL, EXISTS, TYPE, SCAN, EXPIRE, RENAME, … */
export const keyCommands: CommandDef[] = [
  {
    name: 'del',
    handler(c, args) {
      let n = 0;
      for (let i = 1; i < args.length; i++) if (c.db.delete(args[i])) n++;
      c.reply.integer(n);
    },
  },
];
