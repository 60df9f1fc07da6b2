/** Redis's shared error replies, word for word (server.c createSharedObjects). One place for each. */
export const ERR = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  noSuchKey: 'ERR no such key',
  outOfRange: 'ERR index out of range',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  sameObject: 'ERR source and destination objects are the same',
  noAuth: 'NOAUTH Authentication required.',
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  overflow: 'ERR increment or decrement would overflow',
  invalidExpire: (cmd: string) => `ERR invalid expire time in '${cmd}' command`,
  wrongArgs: (fullname: string) => `ERR wrong number of arguments for '${fullname}' command`,
  /** getIntFromObjectOrReply's range error (no custom message). */
  intRange: 'ERR value is out of range, value must between -2147483648 and 2147483647',
  positive: (what: string) => `ERR ${what} is out of range, must be positive`,
  /** addReplySubcommandSyntaxError: args[0] is the container command, args[1] the subcommand as typed. */
  subcommandSyntax: (args: readonly string[]) =>
    `ERR unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ${args[0].toUpperCase()} HELP.`,
} as const;

/** What C's "%s" prints of an argument in an error message: its bytes before the first NUL. */
export function cstr(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

/** Redis's addReplyError* replace CR/LF so an error stays one protocol line. */
export function sanitizeError(message: string): string {
  return message.includes('\r') || message.includes('\n') ? message.replace(/[\r\n]/g, ' ') : message;
}
