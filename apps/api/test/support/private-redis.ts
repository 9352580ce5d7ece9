import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { eventually } from '@bouncer/testing';

/**
 * A private redis-server on its own port, so a test can kill, restart, freeze and thaw it
 * without touching the machine's Redis.
 */
export class PrivateRedis {
  private proc?: ChildProcess;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await eventually(
      async () => spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout.includes('PONG'),
      `redis-server on ${this.port}`,
      10_000,
      100,
    );
  }

  /** kill -9: the server and everything it held are gone. */
  async kill(): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc?.once('exit', r));
    this.proc.kill('SIGCONT');
    this.proc.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: connections stay open, nothing answers (a hung server, a long GC pause, a VM stall). */
  freeze(): void {
    this.proc?.kill('SIGSTOP');
  }

  thaw(): void {
    this.proc?.kill('SIGCONT');
  }
}
