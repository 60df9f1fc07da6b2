import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { track } from './children.js';
import { RawClient } from './raw-client.js';
import { freePort } from './servers.js';

/** The compiled stickynote-server binary (what `npx stickynote-server` and `npm start` run). */
export const BIN = fileURLToPath(new URL('../../src/bin/stickynote-server.js', import.meta.url));

/** Debian's python3, the one with redis-py (the python3 first on PATH may lack it). */
export const PYTHON = '/usr/bin/python3';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion with a hard timeout (SIGKILL after `timeoutMs`), optionally feeding
 * `input` on stdin. Never rejects on a non-zero exit: callers assert on the result.
 */
export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number } & SpawnOptions = {}): Promise<RunResult> {
  const { input, timeoutMs = 20000, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const proc = track(spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOpts }), spawnOpts.detached === true);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout?.on('data', (b: Buffer) => out.push(b));
    proc.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    proc.stdin?.on('error', () => {}); // the program may exit before reading all of its input
    proc.stdin?.end(input ?? '');
  });
}

/** Runs stickynote-server with exactly these arguments until it exits (for startup errors, --version…). */
export function runBin(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], opts);
}

/** A server process started with an exact argv, with its output captured for assertions. */
export interface BinProcess {
  proc: ChildProcess;
  port: number;
  /** stdout + stderr captured so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

/**
 * Spawns stickynote-server with `args` (the caller chooses where `--port` goes) and waits until
 * `port` answers PING (or NOAUTH). `cmd` runs another program with `args` instead (redis-server),
 * `cmdArgs` overrides the whole argv (e.g. `npm start -- …`); `spawn` may set a cwd or env.
 */
export async function spawnBin(args: string[], port: number, opts: { cmd?: string; cmdArgs?: string[]; input?: string; spawn?: SpawnOptions } = {}): Promise<BinProcess> {
  const cmd = opts.cmd ?? process.execPath;
  // Another program (e.g. redis-server) gets `args` as they are; node gets the stickynote binary first.
  const argv = opts.cmdArgs ?? (opts.cmd ? args : [BIN, ...args]);
  const proc = track(spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], ...opts.spawn }), opts.spawn?.detached === true);
  let output = '';
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stdin?.on('error', () => {});
  proc.stdin?.end(opts.input ?? '');
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.kill('SIGTERM');
    await exited;
    clearTimeout(t);
  };
  const bin: BinProcess = { proc, port, output: () => output, exited, stop };
  try {
    await waitUntil(async () => {
      if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode}:\n${output}`);
      // When `proc` is the server itself, it must be the one answering: another test file may
      // have taken the same free port a moment earlier (then ours fails to bind and exits).
      return ping(port, opts.cmdArgs === undefined ? proc.pid : undefined);
    }, 10000);
  } catch (e) {
    await stop();
    throw e;
  }
  return bin;
}

/** Polls `check` every 25 ms until it returns true; throws after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True if something on host:port accepts a TCP connection. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.setTimeout(2000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** True once a server answers PING on `port` (NOAUTH counts); with `pid`, that server must be `pid`. */
async function ping(port: number, pid?: number): Promise<boolean> {
  try {
    const c = await RawClient.connect(port);
    try {
      const r = await c.send('PING');
      // NOAUTH also proves the server is up.
      if (r.reply.t !== 'status' && r.reply.t !== 'error') return false;
      if (pid === undefined || r.reply.t === 'error') return true;
      const info = (await c.send('INFO', 'server')).reply;
      const served = /process_id:(\d+)/.exec(info.t === 'bulk' ? String(info.v) : '')?.[1];
      if (served !== undefined && Number(served) !== pid) throw new Error(`port ${port} is served by another process (${served})`);
      return true;
    } finally {
      c.close();
    }
  } catch (e) {
    if (String(e).includes('another process')) throw e;
    return false;
  }
}

/** Spawns a server on a fresh free port, retrying if another process grabbed the port meanwhile. */
export async function spawnBinOnFreePort(argsFor: (port: number) => string[], opts: Parameters<typeof spawnBin>[2] = {}): Promise<BinProcess> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return await spawnBin(argsFor(port), port, opts);
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
}
