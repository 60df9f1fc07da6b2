import type { CommandDef } from './table.js';
import { ERR } from './errors.js';
import { ReplyError } from './reply.js';
import { isString, type Value } from '../engine/values.js';

function stringValue(v: Value | undefined): string | null {
  if (v === undefined) return null;
  if (!isString(v)) throw new ReplyError(ERR.wrongType);
  return typeof v === 'string' ? v : v.toString();
}

/** String commands (t_string.c). */
export const stringCommands: CommandDef[] = [
  { name: 'get', handler: (c, args) => c.reply.bulk(stringValue(c.db.read(args[1]))) },
  {
    name: 'set',
    handler(c, args) {
      c.db.set(args[1], args[2]);
      c.reply.status('OK');
    },
  },
];
