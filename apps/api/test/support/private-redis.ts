import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from '@bouncer/testing';

/** A redis-server of the test's own on a free port, so it can be killed and restarted without touching the machine's. */
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
    await eventually(() => this.ping(), 'private redis to answer', 10_000, 50);
  }
  /** SIGKILL: the server is gone at once, as in a crash. */
  async kill(): Promise<void> {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc?.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
  private ping(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const p = spawn('redis-cli', ['-p', String(this.port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout?.on('data', (d) => (out += d));
      p.on('exit', () => resolve(out.includes('PONG')));
    });
  }
}
