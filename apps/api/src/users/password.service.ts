import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** zxcvbn-ts's list of the ~49,000 most common passwords, looked up case-insensitively. */
const commonPasswords = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

/**
 * argon2id hashing at OWASP's minimum or stronger (19 MiB, t=2, p=1 by default), with
 * rehash-on-login when the configured parameters rise, and the password policy.
 */
@Injectable()
export class PasswordService {
  private readonly options: argon2.HashOptions & { raw?: false };
  /** Verified against when the user does not exist, so both paths take the same time. */
  private dummyHash: Promise<string>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.argon2.memoryCost,
      timeCost: config.argon2.timeCost,
      parallelism: config.argon2.parallelism,
    };
    this.dummyHash = this.hash('dummy password that never matches ' + Math.random());
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, { ...this.options, raw: false });
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash ?? (await this.dummyHash), password);
    } catch {
      return false;
    }
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }

  /** Why a new password is refused, or null when it is acceptable. */
  policyViolation(password: string, username?: string): string | null {
    if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
    if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
    const lower = password.toLowerCase();
    if (commonPasswords.has(lower)) return 'is one of the most common passwords';
    if (username && lower.includes(username.toLowerCase())) return 'must not contain the username';
    if (new Set(password).size < 4) return 'has too few distinct characters';
    return null;
  }
}
