// Server and load generator on separate cores while a throughput case runs. Every server
// measured in lines 1-4 answers on one thread (Node's event loop, the original's one uvicorn
// worker); left to the scheduler, on a 2-core machine the generator and the server often share
// a core, and what a round measures is partly where they landed (the same pair of processes,
// seconds apart, differed by a third). Pinned, each server has one core to itself and the
// generator the rest, for Bouncer and the original alike. taskset (util-linux) does the
// pinning; without it, or on one core, nothing is pinned and the run says so.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const cores = availableParallelism();
const all = `0-${cores - 1}`;

function taskset(cpus, pid) {
  // -a: every thread of the process (Node's helper threads, uvicorn's), not only the main one.
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** Why pinning is off here, or null when it works. */
export const pinningUnavailable = (() => {
  if (process.env.BENCH_PIN === '0') return 'BENCH_PIN=0';
  if (cores < 2) return 'one core';
  try {
    taskset(all, process.pid);
    return null;
  } catch {
    return 'no taskset (util-linux)';
  }
})();

/**
 * Runs `work` with the process `serverPid` alone on the last core and this process (the load
 * generator) on the others; both get every core back afterwards, whatever `work` did.
 */
export async function pinned(serverPid, work) {
  if (pinningUnavailable || !serverPid) return work();
  taskset(String(cores - 1), serverPid);
  taskset(cores === 2 ? '0' : `0-${cores - 2}`, process.pid);
  try {
    return await work();
  } finally {
    taskset(all, process.pid);
    try {
      taskset(all, serverPid);
    } catch {
      // the server is gone; the line using it reports that
    }
  }
}
