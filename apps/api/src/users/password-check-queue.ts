import { LRUCache } from 'lru-cache';

type Waiting = () => void;

/**
 * Who gets the next argon2 check when more are asked for than the CPUs can do at once.
 *
 * Without it, every check goes straight to libuv's thread pool, first come first served: when
 * 200 addresses guess passwords, a legitimate sign-in waits behind every guess already queued
 * (seconds). The sign-in rules refuse a client after a few failures, but the first guesses of
 * every new address still have to be checked. So at most `concurrency` checks run at once, and
 * the others wait in two lines:
 * - clients with no failed check in memory ("fresh") go first, newest first: under a flood,
 *   the attempts that arrived after the current one are only other new addresses' first
 *   guesses, so a legitimate sign-in waits for about one check, not for the whole backlog;
 * - clients whose last check failed go after them, oldest first. A successful check clears it.
 * Nothing is refused here: the wait is bounded because the sign-in rules stop each client after
 * a few failures. The memory of failures is bounded (least recently seen forgotten first).
 */
export class PasswordCheckQueue {
  private running = 0;
  private readonly fresh: Waiting[] = [];
  private readonly suspect: Waiting[] = [];
  private readonly failed: LRUCache<string, true>;

  constructor(
    readonly concurrency: number,
    rememberedClients = 10_000,
  ) {
    if (!(concurrency >= 1)) throw new Error('PasswordCheckQueue: concurrency must be at least 1');
    this.failed = new LRUCache({ max: rememberedClients });
  }

  /** Checks waiting for a turn (for tests and metrics). */
  get waiting(): number {
    return this.fresh.length + this.suspect.length;
  }

  /** Runs `check` in its turn; `ok` says whether it found the password right (null: not a sign-in outcome). */
  async run<T>(client: string | undefined, check: () => Promise<T>, ok: (result: T) => boolean | null = () => null): Promise<T> {
    if (this.running >= this.concurrency) {
      await new Promise<void>((start) => (client !== undefined && this.failed.has(client) ? this.suspect : this.fresh).push(start));
    } else this.running++;
    try {
      const result = await check();
      const outcome = ok(result);
      if (client !== undefined && outcome === false) this.failed.set(client, true);
      if (client !== undefined && outcome === true) this.failed.delete(client);
      return result;
    } finally {
      // The slot passes straight to the next waiting check (running stays the same), or frees.
      const next = this.fresh.pop() ?? this.suspect.shift();
      if (next) next();
      else this.running--;
    }
  }
}
