import net from 'node:net';

export interface Exchange {
  /** Every byte the server sent, as latin1. */
  reply: string;
  /** Whether the server closed the connection. */
  closed: boolean;
}

/**
 * Connects, writes `parts` (each as its own socket write, `gapMs` apart), then collects every byte
 * the server sends until it closes the connection or stays silent for `idleMs` after the last write.
 */
export async function exchange(port: number, parts: (string | Buffer)[], opts: { idleMs?: number; gapMs?: number } = {}): Promise<Exchange> {
  const idleMs = opts.idleMs ?? 250;
  const socket = net.createConnection({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let closed = false;
  const finished = new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(resolve, idleMs);
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (timer) arm();
    });
    socket.on('close', () => {
      closed = true;
      if (timer) clearTimeout(timer);
      resolve();
    });
    void (async () => {
      for (let i = 0; i < parts.length && !closed; i++) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        const p = parts[i];
        socket.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
      }
      if (!closed) arm();
    })();
  });
  await finished;
  socket.destroy();
  return { reply: Buffer.concat(chunks).toString('latin1'), closed };
}

/**
 * Exchanges the same bytes with two servers. "Silent for idleMs" is only a guess on a busy
 * machine, so a difference is retried once with a long idle time before it counts.
 */
export async function exchangeBoth(
  ports: [number, number],
  parts: (string | Buffer)[],
  opts: { idleMs?: number; gapMs?: number } = {},
): Promise<[Exchange, Exchange]> {
  const run = (o: typeof opts) => Promise.all([exchange(ports[0], parts, o), exchange(ports[1], parts, o)]);
  const first = await run(opts);
  if (first[0].reply === first[1].reply && first[0].closed === first[1].closed) return first;
  return run({ ...opts, idleMs: 1500 });
}
