import { http, type HttpOptions, type HttpResponse } from '@bouncer/testing';

/** One instance of the API the load is sent to; `up` false while a fault has taken it away on purpose. */
export interface Target {
  name: string;
  url: string;
  up: boolean;
}

/** Every answer the load generator got, in order. `status` 0 is a connection error or a timeout. */
export interface Answer {
  op: string;
  target: string;
  status: number;
  ms: number;
  type: string;
  retryAfter?: string;
  error?: string;
  /** The target had been taken away on purpose (SIGKILL) when the answer came back. */
  targetDown: boolean;
  phase: string;
}

export interface LoadUser {
  username: string;
  password: string;
}

/**
 * What the service acknowledged, so the invariants can be checked against it after each fault:
 * blocks answered 201 and not lifted since, lifts answered 204, sessions logged out with 204,
 * and admin writes refused with 503 (which promise to have had no effect).
 */
export class Ledger {
  readonly blocked = new Set<string>();
  readonly lifted = new Set<string>();
  readonly refusedBlocks = new Set<string>();
  readonly loggedOut: { access: string; refresh: string; from: string }[] = [];
  /** Acknowledged admin actions whose audit record has not been looked for yet (the audit API returns the newest 1000 rows). */
  unaudited: { type: 'decision.blocked' | 'decision.unblocked'; client: string }[] = [];
  /** Broken promises seen while the load ran (a logged-out token accepted, a 503 logout that took effect, ...). */
  readonly violations: string[] = [];
  /** Broken promises already reported by an earlier check. */
  readonly reported = new Set<string>();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A steady, mixed load over real HTTP from many loopback addresses: sign-ins with right and wrong
 * passwords, token validations, refreshes, logouts, and admin blocks and lifts. Each session worker
 * is one client (one address) going round sign-in, validate, refresh, logout, and checking that
 * what it logged out stays dead. The admin worker blocks fresh addresses and lifts some of them.
 */
export class LoadGenerator {
  readonly answers: Answer[] = [];
  readonly ledger = new Ledger();
  phase = 'warm-up';
  private running = false;
  private workers: Promise<void>[] = [];
  private next = 0;
  private wrongFrom = 0;
  private blockSeq = 0;
  private adminToken?: string;
  /** The instance the latest answer came from. */
  private last?: Target;

  constructor(
    private readonly targets: Target[],
    private readonly users: LoadUser[],
    private readonly admin: LoadUser,
    /** Distinguishes the addresses of two generators on one machine (second octet). */
    private readonly net: number,
    /** Pause between two requests of one worker, ms: sets the steady rate. */
    private readonly pace = 250,
  ) {}

  start(): void {
    this.running = true;
    this.workers = [
      ...this.users.map((u, i) => this.sessionWorker(u, `127.${this.net}.1.${i + 1}`)),
      this.adminWorker(),
      this.guessWorker(),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** `n` sign-ins at once (argon2 makes each take a while): requests surely in flight when a signal lands. */
  burst(n: number, to: Target): Promise<unknown> {
    return Promise.all(
      Array.from({ length: n }, (_, i) => {
        const user = this.users[i % this.users.length] as LoadUser;
        return this.call(
          'sign-in-burst',
          '/token',
          { form: { username: user.username, password: user.password }, from: `127.${this.net}.3.${i + 1}` },
          to,
        );
      }),
    );
  }

  /** Answers since index `from` (take `answers.length` before a fault). */
  since(from: number): Answer[] {
    return this.answers.slice(from);
  }

  private pick(): Target | undefined {
    const up = this.targets.filter((t) => t.up);
    if (up.length === 0) return undefined;
    return up[this.next++ % up.length];
  }

  /** One request to the next live instance, recorded. */
  async call(op: string, path: string, opts: HttpOptions, to?: Target): Promise<HttpResponse | undefined> {
    const target = to ?? this.pick();
    if (!target) return undefined;
    const started = Date.now();
    try {
      const res = await http(target.url, path, opts);
      const retry = res.headers['retry-after'];
      this.answers.push({
        op,
        target: target.name,
        status: res.status,
        ms: Date.now() - started,
        type: String(res.headers['content-type'] ?? '').split(';')[0] ?? '',
        retryAfter: typeof retry === 'string' ? retry : undefined,
        targetDown: !target.up,
        phase: this.phase,
      });
      this.last = target;
      return res;
    } catch (err) {
      this.answers.push({
        op,
        target: target.name,
        status: 0,
        ms: Date.now() - started,
        type: '',
        error: (err as Error).message,
        targetDown: !target.up,
        phase: this.phase,
      });
      return undefined;
    }
  }

  private async sessionWorker(user: LoadUser, from: string): Promise<void> {
    while (this.running) {
      const signIn = await this.call('sign-in', '/token', { form: { username: user.username, password: user.password }, from });
      await sleep(this.pace);
      if (signIn?.status !== 200) continue;
      let access: string = signIn.json.access_token;
      let refresh: string = signIn.json.refresh_token;
      for (let i = 0; i < 2 && this.running; i++) {
        await this.call('validate', '/validate-token', { token: access, from });
        await sleep(this.pace);
      }
      const rotated = await this.call('refresh', '/token', { form: { grant_type: 'refresh_token', refresh_token: refresh }, from });
      await sleep(this.pace);
      if (rotated?.status === 200) {
        access = rotated.json.access_token;
        refresh = rotated.json.refresh_token;
        await this.call('validate', '/validate-token', { token: access, from });
        await sleep(this.pace);
      }
      // Log out until it is acknowledged: a 503 promises no effect, so the retry must work.
      for (let attempt = 0; attempt < 40; attempt++) {
        const out = await this.call('logout', '/logout', { method: 'POST', token: access, from });
        const where = this.last;
        await sleep(this.pace);
        if (out?.status === 204) {
          this.ledger.loggedOut.push({ access, refresh, from });
          // On the instance that acknowledged it: at once. (The others are checked after each fault, given seconds to learn it.)
          const after = await this.call('validate-logged-out', '/validate-token', { token: access, from }, where?.up ? where : undefined);
          if (after?.status === 200) this.ledger.violations.push(`${from}: an access token logged out with 204 was accepted again`);
          await sleep(this.pace);
          break;
        }
        if (out?.status === 401 && attempt > 0) {
          this.ledger.violations.push(`${from}: a logout answered 503 had an effect: the retry got 401 (D2)`);
          break;
        }
        if (out && out.status !== 503) break;
        if (!this.running && attempt > 0) break;
      }
    }
  }

  /** Wrong passwords at an account that does not exist, each address used a few times only. */
  private async guessWorker(): Promise<void> {
    while (this.running) {
      const k = this.wrongFrom++;
      const from = `127.${this.net}.${2 + Math.floor(k / 3 / 250)}.${(Math.floor(k / 3) % 250) + 1}`;
      await this.call('wrong-password', '/token', { form: { username: 'nobody-here', password: `wrong-guess-${k}` }, from });
      await sleep(this.pace * 2);
    }
  }

  private async adminWorker(): Promise<void> {
    while (this.running) {
      if (!this.adminToken) {
        const res = await this.call('admin-sign-in', '/token', {
          form: { username: this.admin.username, password: this.admin.password },
          from: '127.0.0.1',
        });
        if (res?.status === 200) this.adminToken = res.json.access_token;
        await sleep(this.pace);
        continue;
      }
      const n = this.blockSeq++;
      const client = `127.${this.net}.${200 + Math.floor(n / 250)}.${(n % 250) + 1}`;
      const made = await this.call('block', '/admin/blocks', {
        token: this.adminToken,
        from: '127.0.0.1',
        body: { client, duration_seconds: 3600, reason: `chaos ${n}` },
      });
      if (made?.status === 201) {
        this.ledger.blocked.add(client);
        this.ledger.unaudited.push({ type: 'decision.blocked', client });
      } else if (made?.status === 503) this.ledger.refusedBlocks.add(client);
      else if (made?.status === 401) this.adminToken = undefined;
      await sleep(this.pace * 3);
      // Lift every other block made so far, oldest first.
      if (n % 2 === 1) {
        const victim = [...this.ledger.blocked][0];
        if (victim) {
          const lifted = await this.call('lift', `/admin/blocks?client=${encodeURIComponent(victim)}`, {
            method: 'DELETE',
            token: this.adminToken,
            from: '127.0.0.1',
          });
          if (lifted?.status === 204) {
            this.ledger.blocked.delete(victim);
            this.ledger.lifted.add(victim);
            this.ledger.unaudited.push({ type: 'decision.unblocked', client: victim });
          }
          await sleep(this.pace * 3);
        }
      }
    }
  }
}

/**
 * Answers that break "no 5xx except the documented 503s (Retry-After, problem+json)", and lost
 * requests. A connection refused by an instance already taken out of the load (it never reached
 * the service; a load balancer retries it elsewhere) is not lost; a request dropped after it was
 * accepted is, except on an instance killed with SIGKILL (`allowLostOnKilled`).
 */
export function badAnswers(answers: Answer[], opts: { allowLostOnKilled?: boolean } = {}): Answer[] {
  return answers.filter((a) => {
    if (a.status === 0 && a.targetDown && a.error?.startsWith('connect ECONNREFUSED')) return false;
    if (a.status === 0) return !(opts.allowLostOnKilled && a.targetDown);
    if (a.status < 500) return false;
    return !(a.status === 503 && a.retryAfter !== undefined && a.type === 'application/problem+json');
  });
}

/**
 * Answers that took longer than `ms`: a fault must not turn into a hang. Measured: at most ~3 s
 * (Redis frozen); 8 s leaves room for a loaded CI machine and stays well under the client's 15 s timeout.
 */
export function slowAnswers(answers: Answer[], ms = 8000): Answer[] {
  return answers.filter((a) => a.ms > ms);
}

/** Counts per op and status, latency percentiles: printed once per fault so a run can be read. */
export function summary(answers: Answer[]): string {
  const by = new Map<string, number>();
  for (const a of answers) by.set(`${a.op}:${a.status}`, (by.get(`${a.op}:${a.status}`) ?? 0) + 1);
  const ms = answers
    .filter((a) => a.status > 0)
    .map((a) => a.ms)
    .sort((x, y) => x - y);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  return `${answers.length} answers, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${ms[ms.length - 1] ?? 0} ms; ${[...by.entries()]
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}
