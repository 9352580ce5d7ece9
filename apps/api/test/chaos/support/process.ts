import { type ApiProcess, http, startApiProcess, strongPassword } from '@bouncer/testing';
import type { LoadUser, Target } from './load';

/**
 * Rules loosened for the load only, so a steady test client is not refused for its rate or its
 * successful sign-ins (those rules have their own tests in test/attacks): every refusal seen
 * here comes from a fault, not from a rule doing its job.
 */
export const LOAD_ENV = {
  ALLOWLIST: '127.0.0.1/32',
  RATE_LIMIT: '100000',
  AUTH_ROUTE_LIMIT: '100000',
  SUCCESS_LOGIN_BLOCK: '1000',
  PROBE_THRESHOLD: '100000',
  ACCOUNT_FREE_FAILURES: '1000',
  LOG_LEVEL: 'warn',
};

/** A built API process the chaos tests signal; keeps its output for the report and the secret scan. */
export class ApiNode implements Target {
  up = false;
  api?: ApiProcess;
  readonly log: string[] = [];
  port?: number;
  constructor(
    readonly name: string,
    private readonly env: Record<string, string | undefined>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.api?.process.pid;
  }

  async start(): Promise<void> {
    this.api = await startApiProcess({
      port: this.port,
      env: { ...process.env, ...this.env },
      onOutput: (chunk) => this.log.push(chunk),
      probeFrom: '127.0.0.1',
      timeoutMs: 90_000,
    }).catch((err: Error) => {
      throw new Error(`${this.name}: ${err.message}: ${this.log.join('').slice(-2000)}`);
    });
    this.port = this.api.port;
    this.up = true;
  }

  /** SIGKILL: taken away from the load first, as a load balancer would see it fall. */
  async kill(): Promise<void> {
    this.up = false;
    const child = this.api?.process;
    if (!child || this.api?.exited() !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /**
   * SIGTERM with requests in flight; from then on the load sends it nothing new (a load balancer
   * taking it out), but what it accepted must be answered. Resolves once the process is gone.
   */
  async terminate(): Promise<void> {
    const child = this.api?.process;
    if (!child || this.api?.exited() !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    this.up = false;
    await gone;
  }
}

/** Signs the admin in and creates the load's users (strong passwords, role user). */
export async function createUsers(url: string, adminPassword: string, count: number): Promise<{ users: LoadUser[]; adminToken: string }> {
  const login = await http(url, '/token', { form: { username: 'admin', password: adminPassword }, from: '127.0.0.1' });
  if (login.status !== 200) throw new Error(`admin sign-in: ${login.status} ${login.text}`);
  const adminToken = login.json.access_token as string;
  const users: LoadUser[] = [];
  for (let i = 0; i < count; i++) {
    const user = { username: `chaos-user-${i}`, password: strongPassword() };
    const made = await http(url, '/admin/users', { token: adminToken, from: '127.0.0.1', body: { ...user, role: 'user' } });
    if (made.status !== 201) throw new Error(`create user: ${made.status} ${made.text}`);
    users.push(user);
  }
  return { users, adminToken };
}
