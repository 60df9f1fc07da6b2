import type { ChildProcess } from 'node:child_process';

/**
 * Every process a test file starts, so that none outlives it: the runner waits for a file's
 * process to exit, and a server left running (a failed assertion before `stop()`, a grandchild
 * that npm did not pass a signal to) would hold its pipes open and stall the whole run.
 */
const alive = new Set<ChildProcess>();

/** Registers `proc` (and, when `group` is set, its whole process group) for cleanup at exit. */
export function track<T extends ChildProcess>(proc: T, group = false): T {
  alive.add(proc);
  if (group) groups.add(proc);
  proc.once('exit', () => {
    alive.delete(proc);
  });
  return proc;
}

const groups = new Set<ChildProcess>();

process.once('exit', () => {
  for (const proc of groups) {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }
  for (const proc of alive) proc.kill('SIGKILL');
});
