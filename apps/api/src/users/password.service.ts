import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import * as argon2 from 'argon2';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { normalizePassword, passwordPolicyViolation } from '../policy/password-policy';
import { PasswordCheckQueue } from './password-check-queue';

export { normalizePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PASSWORD_MIN_STRENGTH } from '../policy/password-policy';

/**
 * How many argon2 runs at once: one fewer than the CPUs, at least one. The event loop, which
 * answers every other request and accepts new connections, keeps a CPU to itself. With as many
 * runs as CPUs it got a share of one under a sign-in flood, and every answer waited for it
 * (line 6 of issue 12, 2 CPUs: legitimate sign-in p99 1.3 and 2.1 s with one run at a time,
 * 2.5 and 4.9 s with two, in back-to-back runs). Costs sign-in throughput when many sign in at
 * once: half on 2 CPUs, a quarter on 4.
 */
export function passwordCheckSlots(cpus: number): number {
  return Math.max(1, Math.floor(cpus) - 1);
}

/**
 * argon2id hashing at OWASP's minimum or stronger (19 MiB, t=2, p=1 by default), with
 * rehash-on-login when the configured parameters rise, and the password policy. Every argon2
 * run takes its turn in a PasswordCheckQueue (passwordCheckSlots at once), so a flood of guesses
 * does not make a legitimate sign-in wait behind it.
 */
@Injectable()
export class PasswordService implements OnApplicationBootstrap {
  private readonly options: argon2.HashOptions & { raw?: false };
  /** Verified against when the user does not exist, so both paths take the same time. */
  private dummyHash: Promise<string> | null = null;
  private readonly queue = new PasswordCheckQueue(passwordCheckSlots(availableParallelism()));

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.argon2.memoryCost,
      timeCost: config.argon2.timeCost,
      parallelism: config.argon2.parallelism,
    };
  }

  /**
   * The dummy hash is made once the app is built (before it listens), not while it is built:
   * glibc keeps the first argon2 run's 19 MiB mapping out of its heap but then raises its
   * threshold for mapping large blocks, so the embedded store's large start-up buffers, read
   * after it, would land in the heap and stay resident when freed (idle first start: 208 -> 180 MB).
   */
  onApplicationBootstrap(): void {
    void this.dummy();
  }

  private dummy(): Promise<string> {
    return (this.dummyHash ??= this.hash('dummy password that never matches ' + Math.random()));
  }

  hash(password: string): Promise<string> {
    return this.queue.run(undefined, () => argon2.hash(normalizePassword(password), { ...this.options, raw: false }));
  }

  /**
   * Compares in NFKC form; hashes made before passwords were normalised hold the raw form, so
   * that is tried as well when it differs (a second argon2 only for such passwords; the
   * rehash on the next sign-in, when parameters rise, stores the normalised form).
   * `client` (the sign-in's client key) orders the check among waiting ones: see PasswordCheckQueue.
   */
  async verify(hash: string | null, password: string, client?: string): Promise<boolean> {
    const target = hash ?? (await this.dummy());
    const normalized = normalizePassword(password);
    return this.queue.run(
      client,
      async () => (await this.compare(target, normalized)) || (normalized !== password && (await this.compare(target, password))),
      (ok) => ok,
    );
  }

  private async compare(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }

  /** Why a new password is refused, or null when it is acceptable (see password-policy.ts). */
  policyViolation(raw: string, username?: string): string | null {
    return passwordPolicyViolation(raw, username);
  }
}
