import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configFromArgv } from '../src/config/args.js';
import { Config } from '../src/config/config.js';
import { RawClient } from './support/raw-client.js';
import { freePort, startStickynoteProcess } from './support/servers.js';
import { BIN, canConnect, run, runBin, spawnBin, spawnBinOnFreePort, waitUntil, type RunResult } from './support/process.js';

/** Whether this machine can listen on the IPv6 loopback (containers may run without IPv6). */
const IPV6_LOOPBACK = await new Promise<boolean>((resolve) => {
  const probe = net.createServer();
  probe.once('error', () => resolve(false));
  probe.listen({ host: '::1', port: 0 }, () => probe.close(() => resolve(true)));
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stickynote-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConf(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs real redis-server with the same arguments (it must fail before listening). */
function runRedis(args: string[]): Promise<RunResult> {
  return run('redis-server', args, { timeoutMs: 10000 });
}

/** The FATAL CONFIG FILE ERROR report without its version header, which names the server. */
function fatalReport(stderr: string): string {
  return stderr.replace(/\*\*\* FATAL CONFIG FILE ERROR \([^)]*\) \*\*\*/, '*** FATAL CONFIG FILE ERROR ***');
}

/** A non-loopback IPv4 address of this machine, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

async function send(port: number, ...args: string[]) {
  const c = await RawClient.connect(port);
  try {
    return (await c.send(...args)).reply;
  } finally {
    c.close();
  }
}

describe('stickynote-server: version and help', () => {
  for (const flag of ['--version', '-v']) {
    it(`${flag} prints the version and exits 0`, async () => {
      const r = await runBin([flag]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^stickynote-server v=\d+\.\d+\.\d+ /);
    });
  }

  it('--help prints usage and exits 1, like redis-server', async () => {
    const [ours, redis] = await Promise.all([runBin(['--help']), runRedis(['--help'])]);
    assert.equal(ours.code, redis.code);
    assert.match(ours.stderr, /^Usage: stickynote-server \[\/path\/to\/redis\.conf\] \[options\] \[-\]/);
  });
});

describe('stickynote-server: config errors are fatal, reported like redis-server', () => {
  const cases: { name: string; conf?: string; args?: string[] }[] = [
    { name: 'unknown directive in a file', conf: '# a comment\n\nport 6399\nnot-a-directive yes\n' },
    { name: 'bad memory value', conf: 'maxmemory lots\n' },
    { name: 'bad enum value', conf: 'maxmemory-policy sometimes\n' },
    { name: 'unbalanced quotes', conf: 'requirepass "oops\n' },
    { name: 'wrong number of arguments', conf: 'maxmemory 1mb 2mb\n' },
    { name: 'bad boolean', conf: 'protected-mode maybe\n' },
    { name: 'integer out of range', conf: 'databases 0\n' },
    { name: 'unknown option on the command line', args: ['--port', '6399', '--not-an-option', 'x'] },
    { name: 'bad value on the command line', args: ['--maxmemory', '12parsecs'] },
    { name: 'option without value', args: ['--port'] },
    { name: 'stray argument after the config file', conf: 'port 6399\n', args: ['stray'] },
    { name: 'command line after a file, line numbers continue', conf: 'port 6399\n', args: ['--hz', 'fast'] },
    { name: 'log file in a missing directory', args: ['--port', '6399', '--logfile', '/nonexistent-dir/stickynote.log'] },
    { name: 'log file that is a directory', args: ['--port', '6399', '--logfile', '/'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const args = [...(c.conf !== undefined ? [writeConf(`bad-${c.name.replace(/\W+/g, '-')}.conf`, c.conf)] : []), ...(c.args ?? [])];
      const [ours, redis] = await Promise.all([runBin(args), runRedis(args)]);
      assert.equal(redis.code, 1, `redis-server exits 1: ${redis.stderr}`);
      assert.equal(ours.code, 1, ours.stdout + ours.stderr);
      assert.match(ours.stderr, /\*\*\* FATAL CONFIG FILE ERROR \(stickynote [^)]+\) \*\*\*/);
      assert.equal(fatalReport(ours.stderr), fatalReport(redis.stderr));
    });
  }

  it('an error inside an included file is reported at its own line', async () => {
    const inner = writeConf('inner-bad.conf', '# inner\nmaxmemory 1mb\nmaxmemory-policy nope\n');
    const outer = writeConf('outer.conf', `port 6399\ninclude ${inner}\n`);
    const [ours, redis] = await Promise.all([runBin([outer]), runRedis([outer])]);
    assert.equal(redis.code, 1);
    assert.equal(ours.code, 1);
    assert.equal(fatalReport(ours.stderr), fatalReport(redis.stderr));
  });

  it('a config file that cannot be opened', async () => {
    const missing = join(dir, 'missing.conf');
    const [ours, redis] = await Promise.all([runBin([missing]), runRedis([missing])]);
    assert.equal(ours.code, 1);
    assert.equal(redis.code, 1);
    const message = (out: string) => /# (Fatal error, can't open config file .*)/.exec(out)?.[1];
    assert.equal(message(ours.stdout), message(redis.stdout + redis.stderr));
  });

  it('port 0 means no TCP listener: exits 1 like redis-server', async () => {
    const [ours, redis] = await Promise.all([runBin(['--port', '0']), runRedis(['--port', '0', '--save', ''])]);
    assert.equal(ours.code, 1);
    assert.equal(redis.code, 1);
    assert.match(ours.stdout, /Configured to not listen anywhere, exiting\./);
  });
});

describe('stickynote-server: argv and config file parsing (in-process)', () => {
  it('file first, then options, last one wins; quotes and --save special cases', () => {
    const conf = writeConf('parse.conf', ['# comment', '   # indented comment', 'port 7000', 'maxmemory 100mb', 'requirepass "pass with space"', "bind '127.0.0.1'", 'save ""', 'MAXMEMORY-POLICY allkeys-lru', ''].join('\n'));
    const { config, file, ignored } = configFromArgv([conf, '--port', '7001', '--save', '--hz', '50', '--timeout 30']);
    assert.equal(file, conf);
    assert.equal(config.get('port'), '7001');
    assert.equal(config.get('maxmemory'), String(100 * 1024 * 1024));
    assert.equal(config.get('requirepass'), 'pass with space');
    assert.equal(config.get('bind'), '127.0.0.1');
    assert.equal(config.get('maxmemory-policy'), 'allkeys-lru');
    assert.equal(config.get('hz'), '50');
    assert.equal(config.get('timeout'), '30');
    assert.ok(config.spec('save') !== undefined || ignored.includes('save'));
  });

  it('include loads another file in place; later lines override it', () => {
    const inner = writeConf('inner.conf', 'maxmemory 5mb\nhz 33\n');
    const outer = writeConf('outer-ok.conf', `hz 10\ninclude ${inner}\nmaxmemory 6mb\n`);
    const { config } = configFromArgv([outer]);
    assert.equal(config.get('hz'), '33');
    assert.equal(config.get('maxmemory'), String(6 * 1024 * 1024));
  });

  it('rename-command and user are accepted without effect and reported', () => {
    const { ignored } = configFromArgv(['--rename-command', 'FLUSHALL', '""', '--user', 'default', 'on', 'nopass', '~*', '+@all']);
    assert.deepEqual(ignored, ['rename-command', 'user']);
  });

  it('values with spaces, quotes and control bytes survive the command line', () => {
    const { config } = configFromArgv(['--requirepass', 'a "b" \\c\td\x01']);
    assert.equal(config.get('requirepass'), 'a "b" \\c\td\x01');
  });

  it('config from stdin with -, options still win', () => {
    const { config } = configFromArgv(['-', '--port', '7002'], new Config(), { readStdin: () => 'port 7003\nmaxmemory 2mb\n' });
    assert.equal(config.get('port'), '7002');
    assert.equal(config.get('maxmemory'), String(2 * 1024 * 1024));
  });

  it("Debian's /etc/redis/redis.conf loads (directives without effect are listed, not fatal)", () => {
    const { config } = configFromArgv(['/etc/redis/redis.conf']);
    assert.equal(config.get('port'), '6379');
    assert.equal(config.get('daemonize'), 'yes');
  });
});

describe('stickynote-server: running', () => {
  it('--port N --bind 127.0.0.1 --requirepass x: NOAUTH until AUTH', async () => {
    const s = await startStickynoteProcess(['--bind', '127.0.0.1', '--requirepass', 'x']);
    try {
      const c = await RawClient.connect(s.port);
      assert.equal((await c.send('GET', 'k')).raw.toString(), '-NOAUTH Authentication required.\r\n');
      assert.equal((await c.send('AUTH', 'x')).raw.toString(), '+OK\r\n');
      assert.equal((await c.send('PING')).raw.toString(), '+PONG\r\n');
      c.close();
    } finally {
      await s.stop();
    }
  });

  it('a redis.conf as first argument, options after it override', async () => {
    const port = await freePort();
    const conf = writeConf(
      'good.conf',
      ['# stickynote test config', 'port 1', 'bind 127.0.0.1', 'save ""', 'appendonly no', 'maxmemory 100mb', 'maxmemory-policy "allkeys-lru"', "requirepass 'se cret'", 'databases 4', ''].join('\n'),
    );
    // A relative path, resolved against the cwd like redis-server does.
    const s = await spawnBin(['good.conf', '--port', String(port)], port, { spawn: { cwd: dir } });
    try {
      const c = await RawClient.connect(port);
      assert.equal((await c.send('AUTH', 'se cret')).raw.toString(), '+OK\r\n');
      assert.equal((await c.send('SELECT', '4')).raw.toString(), '-ERR DB index is out of range\r\n');
      const got = await c.send('CONFIG', 'GET', 'maxmemory');
      assert.equal(got.raw.toString(), `*2\r\n$9\r\nmaxmemory\r\n$9\r\n${100 * 1024 * 1024}\r\n`);
      const policy = await c.send('CONFIG', 'GET', 'maxmemory-policy');
      assert.equal(policy.raw.toString(), '*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n');
      const info = (await c.send('INFO', 'server')).reply;
      assert.ok(info.t === 'bulk' && info.v?.includes(`\r\nconfig_file:${conf}\r\n`), 'INFO shows the absolute config path');
      c.close();
      assert.match(s.output(), /Ready to accept connections/);
    } finally {
      await s.stop();
    }
  });

  it('a redis.conf gives the same CONFIG GET values as on redis-server', async () => {
    const conf = writeConf(
      'same.conf',
      [
        '# the same file for both servers',
        'bind 127.0.0.1',
        'save ""',
        'appendonly no',
        'maxmemory 100mb',
        'maxmemory-policy allkeys-lru',
        'maxmemory-samples 7',
        'requirepass "p w"',
        'databases 4',
        'hz 20',
        'timeout 0',
        'tcp-keepalive 60',
        'loglevel warning',
        'protected-mode no',
        'proto-max-bulk-len 64mb',
        'notify-keyspace-events ""',
        '',
      ].join('\n'),
    );
    const names = ['bind', 'save', 'appendonly', 'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'requirepass', 'databases', 'hz', 'timeout', 'tcp-keepalive', 'loglevel', 'protected-mode', 'proto-max-bulk-len', 'notify-keyspace-events'];
    const values = async (cmd: string) => {
      const port = await freePort();
      const s = await spawnBin([], port, { cmd, cmdArgs: [...(cmd === 'redis-server' ? [] : [BIN]), conf, '--port', String(port)] });
      try {
        const c = await RawClient.connect(port);
        await c.send('AUTH', 'p w');
        const out: Record<string, string> = {};
        for (const name of names) out[name] = (await c.send('CONFIG', 'GET', name)).raw.toString('latin1');
        c.close();
        return out;
      } finally {
        await s.stop();
      }
    };
    assert.deepEqual(await values(process.execPath), await values('redis-server'));
  });

  it('config from stdin with -', async () => {
    const s = await spawnBinOnFreePort((port) => ['-', '--port', String(port)], { input: 'databases 2\n' });
    try {
      assert.deepEqual(await send(s.port, 'SELECT', '2'), { t: 'error', v: 'ERR DB index is out of range' });
      assert.deepEqual(await send(s.port, 'SELECT', '1'), { t: 'status', v: 'OK' });
    } finally {
      await s.stop();
    }
  });

  it('prints Redis-like startup log lines', async () => {
    const s = await spawnBinOnFreePort((port) => ['--port', String(port)]);
    try {
      await waitUntil(() => /Ready to accept connections/.test(s.output()));
      const out = s.output();
      assert.match(out, new RegExp(`^${s.proc.pid}:C \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{3} # oO0OoO0OoO0Oo stickynote is starting`, 'm'));
      assert.match(out, new RegExp(`^${s.proc.pid}:M .* \\* Running mode=standalone, port=${s.port}\\.$`, 'm'));
    } finally {
      await s.stop();
    }
  });

  it('--logfile receives the log lines; --loglevel warning hides notices', async () => {
    const logfile = join(dir, 'server.log');
    const s = await spawnBinOnFreePort((port) => ['--port', String(port), '--logfile', logfile, '--loglevel', 'warning']);
    try {
      assert.equal(s.output(), '');
      await s.stop();
      const log = readFileSync(logfile, 'utf8');
      assert.match(log, /# oO0OoO0OoO0Oo stickynote is starting/);
      assert.match(log, /# Server initialized/);
      assert.match(log, /# Received SIGTERM scheduling shutdown/);
      assert.doesNotMatch(log, / \* /, 'notice lines are below loglevel warning');
    } finally {
      await s.stop();
    }
  });

  it('daemonize yes: the parent exits 0, the daemon writes its pidfile and removes it on SIGTERM', async () => {
    const pidfile = join(dir, 'daemon.pid');
    const logfile = join(dir, 'daemon.log');
    const log = () => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : '');
    // The daemon's only output is its log: show it if the daemon does not behave.
    const withLog = (e: unknown) => {
      throw new Error(`${(e as Error).message}\n${log() || '(no log file)'}`);
    };
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      rmSync(logfile, { force: true });
      const r = await runBin(['--port', String(port), '--daemonize', 'yes', '--pidfile', pidfile, '--logfile', logfile]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // The pidfile is written only once the daemon listens; a port taken meanwhile means retry.
      await waitUntil(() => existsSync(pidfile) || log().includes('Failed listening'), 10000).catch(withLog);
      if (existsSync(pidfile) || attempt === 2) break;
    }
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    try {
      assert.ok(pid > 0 && pid !== process.pid);
      assert.equal(await canConnect(port), true);
      assert.deepEqual(await send(port, 'CONFIG', 'GET', 'daemonize'), { t: 'array', v: [{ t: 'bulk', v: 'daemonize' }, { t: 'bulk', v: 'yes' }] });
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !existsSync(pidfile), 10000).catch(withLog);
      assert.equal(await canConnect(port), false);
      assert.match(log(), /Ready to accept connections[\s\S]*Removing the pid file\.[\s\S]*bye bye/);
    } finally {
      // Never leave a daemon behind.
      if (existsSync(pidfile)) process.kill(pid, 'SIGKILL');
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} shuts down cleanly with exit code 0 and closes the port`, async () => {
      const s = await spawnBinOnFreePort((port) => ['--port', String(port)]);
      const client = await RawClient.connect(s.port);
      s.proc.kill(signal);
      assert.equal(await s.exited, 0);
      assert.equal(await canConnect(s.port), false);
      assert.match(s.output(), new RegExp(`Received ${signal} scheduling shutdown\\.\\.\\.`));
      assert.match(s.output(), /ready to exit, bye bye/);
      client.close();
    });
  }

  it('SHUTDOWN ends the process with exit code 0', async () => {
    const s = await spawnBinOnFreePort((port) => ['--port', String(port)]);
    try {
      const c = await RawClient.connect(s.port);
      void c.send('SHUTDOWN').catch(() => undefined);
      assert.equal(await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))]), 0);
      assert.equal(await canConnect(s.port), false);
      c.close();
    } finally {
      await s.stop();
    }
  });

  it('EADDRINUSE: a clear message and exit code 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const r = await runBin(['--port', String(port)]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, new RegExp(`# Warning: Could not create server TCP listening socket 127\\.0\\.0\\.1:${port}: bind: Address already in use`));
      assert.match(r.stdout, new RegExp(`# Failed listening on port ${port} \\(TCP\\), aborting\\.`));
    } finally {
      blocker.close();
    }
  });

  it('npm start listens on 127.0.0.1 by default, not on every interface', async () => {
    const external = externalAddress();
    const port = await freePort();
    // Detached so the whole npm -> sh -> node group can be signalled by its process-group id.
    const s = await spawnBin([], port, { cmd: 'npm', cmdArgs: ['start', '--silent', '--', '--port', String(port)], spawn: { cwd: ROOT, detached: true } });
    try {
      assert.equal(await canConnect(port, '127.0.0.1'), true);
      if (external) assert.equal(await canConnect(port, external), false, `must not listen on ${external}`);
      const bind = await send(port, 'CONFIG', 'GET', 'bind');
      assert.deepEqual(bind, { t: 'array', v: [{ t: 'bulk', v: 'bind' }, { t: 'bulk', v: '127.0.0.1' }] });
    } finally {
      process.kill(-s.proc.pid!, 'SIGTERM');
      await s.exited;
      await waitUntil(async () => !(await canConnect(port)));
    }
  });

  it("bind lists: Redis's default '* -::*' listens everywhere, Debian's '127.0.0.1 -::1' on loopback", async () => {
    const external = externalAddress();
    const all = await spawnBinOnFreePort((port) => ['--port', String(port), '--bind', '* -::*']);
    try {
      assert.equal(await canConnect(all.port, '127.0.0.1'), true);
      if (external) assert.equal(await canConnect(all.port, external), true);
    } finally {
      await all.stop();
    }
    const debian = await spawnBinOnFreePort((port) => ['--port', String(port), '--bind', '127.0.0.1', '-::1']);
    try {
      assert.equal(await canConnect(debian.port, '127.0.0.1'), true);
      if (IPV6_LOOPBACK) assert.equal(await canConnect(debian.port, '::1'), true, 'every address of the list is listened on');
      if (external) assert.equal(await canConnect(debian.port, external), false);
    } finally {
      await debian.stop();
    }
  });

  it("bind lists: an address the machine lacks aborts as Redis does, unless marked optional with '-'", async () => {
    // 192.0.2.1 is TEST-NET-1: never configured on a host.
    const port = await freePort();
    const r = await runBin(['--port', String(port), '--bind', '127.0.0.1', '192.0.2.1']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`# Warning: Could not create server TCP listening socket 192\\.0\\.2\\.1:${port}: bind: Cannot assign requested address`));
    assert.match(r.stdout, new RegExp(`# Failed listening on port ${port} \\(TCP\\), aborting\\.`));
    assert.equal(await canConnect(port, '127.0.0.1'), false, 'the addresses already bound were let go');
    // ::1 (not optional) only where the machine has IPv6 loopback: some containers do not.
    const v6 = IPV6_LOOPBACK ? ['::1'] : [];
    const optional = await spawnBinOnFreePort((p) => ['--port', String(p), '--bind', '127.0.0.1', '-192.0.2.1', ...v6]);
    try {
      assert.equal(await canConnect(optional.port, '127.0.0.1'), true);
      if (IPV6_LOOPBACK) assert.equal(await canConnect(optional.port, '::1'), true);
    } finally {
      await optional.stop();
    }
  });

  it('npx stickynote-server runs the package bin', async () => {
    // The first npx in a directory installs the project into npx's cache as a `file:` dependency,
    // which runs its `prepare` script: a rebuild that deletes dist/ under the test files running
    // beside this one. The bin resolves the same without scripts.
    const env = { ...process.env, npm_config_ignore_scripts: 'true' };
    const r = await run('npx', ['--no-install', 'stickynote-server', '--version'], { cwd: ROOT, env, timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stickynote-server v=/);
  });
});
