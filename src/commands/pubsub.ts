import { stringMatch } from '../engine/glob.js';
import type { Client } from './client.js';
import { replyHelp } from './connection.js';
import { ReplyError } from './reply.js';
import type { ServerContext } from './server-context.js';
import type { CommandDef } from './table.js';

/** A client's own subscriptions, in subscription order (Redis: c->pubsub_channels, …). */
interface ClientSubs {
  channels: Set<string>;
  patterns: Set<string>;
  shard: Set<string>;
}

/** The two kinds of channel subscriptions (Redis's pubSubType / pubSubShardType). */
interface ChannelKind {
  shard: boolean;
  subscribe: string;
  unsubscribe: string;
  message: string;
}

const GLOBAL: ChannelKind = { shard: false, subscribe: 'subscribe', unsubscribe: 'unsubscribe', message: 'message' };
const SHARD: ChannelKind = { shard: true, subscribe: 'ssubscribe', unsubscribe: 'sunsubscribe', message: 'smessage' };

/**
 * The server's Pub/Sub registry (Redis's pubsub.c): channel → subscribers, pattern → subscribers,
 * shard channel → subscribers, and each client's own subscriptions. Messages are written straight
 * into the subscriber's output and handed to its connection with `client.deliver()`, which writes
 * them out at the end of the event-loop turn (one socket write per subscriber per turn).
 */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  private readonly subs = new Map<Client, ClientSubs>();

  private subsOf(c: Client): ClientSubs {
    let s = this.subs.get(c);
    if (s === undefined) {
      s = { channels: new Set(), patterns: new Set(), shard: new Set() };
      this.subs.set(c, s);
    }
    return s;
  }

  private registry(kind: ChannelKind): Map<string, Set<Client>> {
    return kind.shard ? this.shardChannels : this.channels;
  }

  /** Channels and patterns of `c` (the count subscribe/unsubscribe replies carry). */
  private count(c: Client, kind: ChannelKind): number {
    return kind.shard ? c.shardSubscriptions : c.subscriptions + c.patternSubscriptions;
  }

  private syncCounts(c: Client, s: ClientSubs): void {
    c.subscriptions = s.channels.size;
    c.patternSubscriptions = s.patterns.size;
    c.shardSubscriptions = s.shard.size;
    if (s.channels.size + s.patterns.size + s.shard.size === 0) this.subs.delete(c);
  }

  subscribe(c: Client, channel: string, kind: ChannelKind): void {
    const s = this.subsOf(c);
    const mine = kind.shard ? s.shard : s.channels;
    if (!mine.has(channel)) {
      mine.add(channel);
      addMember(this.registry(kind), channel, c);
      this.syncCounts(c, s);
    }
    confirm(c, kind.subscribe, channel, this.count(c, kind));
  }

  unsubscribe(c: Client, channel: string, kind: ChannelKind, notify: boolean): void {
    const s = this.subs.get(c);
    const mine = s && (kind.shard ? s.shard : s.channels);
    if (s && mine!.delete(channel)) {
      removeMember(this.registry(kind), channel, c);
      this.syncCounts(c, s);
    }
    if (notify) confirm(c, kind.unsubscribe, channel, this.count(c, kind));
  }

  /** Unsubscribes from every channel of one kind; with `notify`, one confirmation each (or a null one). */
  unsubscribeAll(c: Client, kind: ChannelKind, notify: boolean): void {
    const s = this.subs.get(c);
    const mine = s && (kind.shard ? s.shard : s.channels);
    if (mine === undefined || mine.size === 0) {
      if (notify) confirm(c, kind.unsubscribe, null, this.count(c, kind));
      return;
    }
    for (const channel of [...mine]) this.unsubscribe(c, channel, kind, notify);
  }

  psubscribe(c: Client, pattern: string): void {
    const s = this.subsOf(c);
    if (!s.patterns.has(pattern)) {
      s.patterns.add(pattern);
      addMember(this.patterns, pattern, c);
      this.syncCounts(c, s);
    }
    confirm(c, 'psubscribe', pattern, c.subscriptions + c.patternSubscriptions);
  }

  punsubscribe(c: Client, pattern: string, notify: boolean): void {
    const s = this.subs.get(c);
    if (s && s.patterns.delete(pattern)) {
      removeMember(this.patterns, pattern, c);
      this.syncCounts(c, s);
    }
    if (notify) confirm(c, 'punsubscribe', pattern, c.subscriptions + c.patternSubscriptions);
  }

  punsubscribeAll(c: Client, notify: boolean): void {
    const s = this.subs.get(c);
    if (s === undefined || s.patterns.size === 0) {
      if (notify) confirm(c, 'punsubscribe', null, c.subscriptions + c.patternSubscriptions);
      return;
    }
    for (const pattern of [...s.patterns]) this.punsubscribe(c, pattern, notify);
  }

  /** Drops every subscription silently (RESET, disconnect). */
  release(c: Client): void {
    if (!this.subs.has(c)) return;
    this.unsubscribeAll(c, GLOBAL, false);
    this.unsubscribeAll(c, SHARD, false);
    this.punsubscribeAll(c, false);
  }

  /** Sends `message` to the subscribers of `channel` (and matching patterns); returns the receiver count. */
  publish(channel: string, message: string, kind: ChannelKind = GLOBAL): number {
    let receivers = 0;
    const direct = this.registry(kind).get(channel);
    if (direct !== undefined) {
      for (const sub of direct) {
        const r = sub.reply;
        r.push(3);
        r.bulk(kind.message);
        r.bulk(channel);
        r.bulk(message);
        sub.deliver?.();
        receivers++;
      }
    }
    if (kind.shard || this.patterns.size === 0) return receivers;
    for (const [pattern, clients] of this.patterns) {
      if (!stringMatch(pattern, channel)) continue;
      for (const sub of clients) {
        const r = sub.reply;
        r.push(4);
        r.bulk('pmessage');
        r.bulk(pattern);
        r.bulk(channel);
        r.bulk(message);
        sub.deliver?.();
        receivers++;
      }
    }
    return receivers;
  }
}

function addMember(map: Map<string, Set<Client>>, name: string, c: Client): void {
  let set = map.get(name);
  if (set === undefined) map.set(name, (set = new Set()));
  set.add(c);
}

function removeMember(map: Map<string, Set<Client>>, name: string, c: Client): void {
  const set = map.get(name);
  if (set === undefined) return;
  set.delete(c);
  if (set.size === 0) map.delete(name);
}

/** A (un)subscribe confirmation: [kind, name or null, count], a push in RESP3. */
function confirm(c: Client, what: string, name: string | null, count: number): void {
  const r = c.reply;
  r.push(3);
  r.bulk(what);
  r.bulk(name);
  r.integer(count);
}

const registries = new WeakMap<ServerContext, PubSub>();

/** The Pub/Sub registry of a server (created on first use, with its RESET hook). */
export function pubsubOf(server: ServerContext): PubSub {
  let p = registries.get(server);
  if (p === undefined) {
    const created = new PubSub();
    registries.set(server, created);
    server.clientResetHooks.push((c) => created.release(c));
    p = created;
  }
  return p;
}

/** Publishes from anywhere in the server (keyspace notifications, tracking redirection). */
export function publish(server: ServerContext, channel: string, message: string): number {
  return pubsubOf(server).publish(channel, message);
}

/**
 * Subscribing needs a connection that can receive messages between commands; an embedded client
 * (one reply per call) cannot, and gets Redis's error for clients that must not block.
 */
function requireDelivery(c: Client, command: string): void {
  if (c.deliver === null) throw new ReplyError(`ERR ${command} isn't allowed for a DENY BLOCKING client`);
}

function subscribeCommand(kind: ChannelKind, command: string): CommandDef['handler'] {
  return (c, args) => {
    requireDelivery(c, command);
    const p = pubsubOf(c.server);
    for (let i = 1; i < args.length; i++) p.subscribe(c, args[i], kind);
  };
}

function unsubscribeCommand(kind: ChannelKind): CommandDef['handler'] {
  return (c, args) => {
    const p = pubsubOf(c.server);
    if (args.length === 1) p.unsubscribeAll(c, kind, true);
    else for (let i = 1; i < args.length; i++) p.unsubscribe(c, args[i], kind, true);
  };
}

/** PUBSUB CHANNELS / SHARDCHANNELS: active channels, optionally matching a pattern. */
function channelList(c: Client, args: string[], map: Map<string, Set<Client>>): void {
  if (args.length > 3) throw new ReplyError(`ERR unknown subcommand or wrong number of arguments for '${args[1]}'. Try PUBSUB HELP.`);
  const pattern = args.length === 3 ? args[2] : null;
  const names: string[] = [];
  for (const name of map.keys()) if (pattern === null || stringMatch(pattern, name)) names.push(name);
  c.reply.array(names.length);
  for (const n of names) c.reply.bulk(n);
}

/** PUBSUB NUMSUB / SHARDNUMSUB: [channel, count] pairs, flattened as Redis does. */
function numsub(c: Client, args: string[], map: Map<string, Set<Client>>): void {
  c.reply.array((args.length - 2) * 2);
  for (let i = 2; i < args.length; i++) {
    c.reply.bulk(args[i]);
    c.reply.integer(map.get(args[i])?.size ?? 0);
  }
}

/** Redis 7.0's PUBSUB HELP text. */
const PUBSUB_HELP = [
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
];

/** Pub/Sub commands (Redis's pubsub.c). */
export const pubsubCommands: CommandDef[] = [
  { name: 'subscribe', handler: subscribeCommand(GLOBAL, 'SUBSCRIBE') },
  { name: 'ssubscribe', handler: subscribeCommand(SHARD, 'SSUBSCRIBE') },
  { name: 'unsubscribe', handler: unsubscribeCommand(GLOBAL) },
  { name: 'sunsubscribe', handler: unsubscribeCommand(SHARD) },
  {
    name: 'psubscribe',
    handler(c, args) {
      requireDelivery(c, 'PSUBSCRIBE');
      const p = pubsubOf(c.server);
      for (let i = 1; i < args.length; i++) p.psubscribe(c, args[i]);
    },
  },
  {
    name: 'punsubscribe',
    handler(c, args) {
      const p = pubsubOf(c.server);
      if (args.length === 1) p.punsubscribeAll(c, true);
      else for (let i = 1; i < args.length; i++) p.punsubscribe(c, args[i], true);
    },
  },
  { name: 'publish', handler: (c, args) => c.reply.integer(pubsubOf(c.server).publish(args[1], args[2])) },
  { name: 'spublish', handler: (c, args) => c.reply.integer(pubsubOf(c.server).publish(args[1], args[2], SHARD)) },
  { name: 'pubsub|channels', handler: (c, args) => channelList(c, args, pubsubOf(c.server).channels) },
  { name: 'pubsub|shardchannels', handler: (c, args) => channelList(c, args, pubsubOf(c.server).shardChannels) },
  { name: 'pubsub|numsub', handler: (c, args) => numsub(c, args, pubsubOf(c.server).channels) },
  { name: 'pubsub|shardnumsub', handler: (c, args) => numsub(c, args, pubsubOf(c.server).shardChannels) },
  { name: 'pubsub|numpat', handler: (c) => c.reply.integer(pubsubOf(c.server).patterns.size) },
  { name: 'pubsub|help', handler: (c) => replyHelp(c.reply, 'PUBSUB', PUBSUB_HELP) },
];
