import type { CommandDef } from './table.js';
import { ERR } from './errors.js';
import { integerArg } from './args.js';
import { ReplyError } from './reply.js';

/** Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT … */
export const connectionCommands: CommandDef[] = [
  {
    name: 'ping',
    handler(c, args) {
      if (args.length > 2) throw new ReplyError(ERR.wrongArgs('ping'));
      if (args.length === 2) c.reply.bulk(args[1]);
      else c.reply.status('PONG');
    },
  },
  { name: 'echo', handler: (c, args) => c.reply.bulk(args[1]) },
  {
    name: 'select',
    handler(c, args) {
      const n = integerArg(args[1], 'ERR value is not an integer or out of range');
      if (n < 0 || n >= c.server.keyspace.dbs.length) throw new ReplyError(ERR.dbIndexOutOfRange);
      c.select(n);
      c.reply.status('OK');
    },
  },
  {
    name: 'quit',
    handler(c) {
      c.reply.status('OK');
      c.closeAfterReply = true;
    },
  },
];
