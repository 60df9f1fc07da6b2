import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { track } from './children.js';
import { RawClient } from './raw-client.js';

export interface RunningServer {
  port: number;
  /** Server version string reported by INFO. */
  version: string;
  pid?: number;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Waits until the server on `port` answers and is `proc` itself: another test file may have
 * taken the same free port a moment earlier, and then our process exits (address in use) while
 * the other server answers. INFO's process_id tells them apart.
 */
async function waitForServer(port: number, proc: ChildProcess, password: string | undefined, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}`);
    try {
      const c = await RawClient.connect(port);
      try {
        if (password !== undefined) await c.send('AUTH', password);
        const r = await c.send('INFO', 'server');
        const pid = /process_id:(\d+)/.exec(r.reply.t === 'bulk' || r.reply.t === 'verbatim' ? String(r.reply.v) : '')?.[1];
        if (pid !== undefined) {
          if (Number(pid) === proc.pid) return;
          throw new Error(`port ${port} is served by another process (${pid})`);
        }
      } finally {
        c.close();
      }
    } catch (e) {
      lastErr = e;
      if (String(e).includes('another process')) throw e;
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`server on port ${port} did not answer: ${String(lastErr)}`);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once `proc` has exited. */
export function stopProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * Spawns a server on a free loopback port and waits until it answers (logging in with `password`
 * when it has one). Retries on another port if the first was taken meanwhile.
 */
async function spawnOnFreePort(spawnAt: (port: number) => ChildProcess, password?: string): Promise<{ port: number; proc: ChildProcess }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = spawnAt(port);
    try {
      await waitForServer(port, proc, password);
      return { port, proc };
    } catch (e) {
      await stopProcess(proc);
      if (attempt >= 3) throw e;
    }
  }
}

/** The value following `flag` in redis-server style arguments, if any. */
function flagValue(args: string[], flag: string): string | undefined {
  const i = args.lastIndexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

/**
 * Starts Debian's redis-server (the oracle) on a free loopback port with persistence off.
 * Extra `args` are passed as redis-server flags, e.g. ['--requirepass', 'secret'].
 */
export async function startRedis(args: string[] = []): Promise<RunningServer> {
  const { port, proc } = await spawnOnFreePort((port) => {
    const p = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }));
    p.stderr?.resume();
    return p;
  }, flagValue(args, '--requirepass'));
  const c = await RawClient.connect(port);
  const password = flagValue(args, '--requirepass');
  if (password !== undefined) await c.send('AUTH', password);
  const info = await c.send('INFO', 'server');
  c.close();
  const version = /redis_version:(\S+)/.exec(String((info.reply as { v: string }).v))?.[1] ?? 'unknown';
  return { port, version, pid: proc.pid, stop: () => stopProcess(proc) };
}

const BIN = fileURLToPath(new URL('../../src/bin/stickynote-server.js', import.meta.url));

/** Starts stickynote-server as a child process (the real binary) on a free loopback port. */
export async function startStickynoteProcess(args: string[] = []): Promise<RunningServer & { proc: ChildProcess }> {
  const { port, proc } = await spawnOnFreePort((port) => {
    const p = track(spawn(process.execPath, [BIN, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    p.stdout?.resume();
    p.stderr?.resume();
    return p;
  }, flagValue(args, '--requirepass'));
  return { port, version: 'stickynote', pid: proc.pid, proc, stop: () => stopProcess(proc) };
}
