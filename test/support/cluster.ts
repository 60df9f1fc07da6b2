import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { track } from './children.js';
import { run, waitUntil } from './process.js';
import { RawClient } from './raw-client.js';
import { freePort, stopProcess } from './servers.js';

/** A running Redis Cluster of Debian redis-server processes on loopback ports. */
export interface RunningCluster {
  /** One port per master, in creation order. */
  ports: number[];
  /** ioredis-style startup nodes. */
  nodes: { host: string; port: number }[];
  /** Stops every node by PID and removes the cluster's temporary directory. */
  stop(): Promise<void>;
}


/** The text of `command` sent to the node on `port`, or '' when it does not answer yet. */
async function ask(port: number, ...command: string[]): Promise<string> {
  try {
    const c = await RawClient.connect(port);
    try {
      const r = (await c.send(...command)).reply;
      return r.t === 'bulk' || r.t === 'verbatim' || r.t === 'status' ? String(r.v) : '';
    } finally {
      c.close();
    }
  } catch {
    return '';
  }
}

/** Starts one cluster-enabled node on a free port; retries on another port if it fails to bind. */
async function startNode(dir: string): Promise<{ port: number; proc: ChildProcess }> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = track(
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
    proc.stderr?.resume();
    try {
      // The node must be our process: another test file may have taken the port a moment earlier.
      await waitUntil(async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}`);
        const pid = /process_id:(\d+)/.exec(await ask(port, 'INFO', 'server'))?.[1];
        if (pid !== undefined && Number(pid) !== proc.pid) throw new Error(`port ${port} is served by another process`);
        return pid !== undefined;
      }, 10000);
      return { port, proc };
    } catch (e) {
      await stopProcess(proc);
      if (attempt >= 3) throw e;
    }
  }
}

/**
 * Starts a Redis Cluster of `masters` masters (no replicas) on free loopback ports and waits until
 * every node reports cluster_state:ok. Every process is tracked (killed if the test file exits
 * first); stop() ends them by PID and removes the temporary directory holding nodes-<port>.conf.
 */
export async function startCluster(masters = 3): Promise<RunningCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stickynote-cluster-'));
  const started: { port: number; proc: ChildProcess }[] = [];
  const stop = async () => {
    await Promise.all(started.map((n) => stopProcess(n.proc)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    started.push(...(await Promise.all(Array.from({ length: masters }, () => startNode(dir)))));
    const ports = started.map((n) => n.port);
    const created = await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeoutMs: 30000,
    });
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`);
    await waitUntil(async () => {
      for (const port of ports) {
        if (!(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
      }
      return true;
    }, 20000);
    return { ports, nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
