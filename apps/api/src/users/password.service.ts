import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** Lengths in code points (an emoji is one character, not two UTF-16 units). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn's score (0-4) a new password needs: 3 is "safely unguessable" for an online attack with throttling, 10^8+ guesses. */
export const PASSWORD_MIN_STRENGTH = 3;

/** zxcvbn-ts's list of the ~49,000 most common passwords, looked up case-insensitively. */
const commonPasswords = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

const strength = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: PASSWORD_MAX_LENGTH });

/**
 * The form a password is hashed and compared in: NFKC, so the same password typed with
 * full-width letters, ligatures or composed/decomposed accents is one password.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

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
    return argon2.hash(normalizePassword(password), { ...this.options, raw: false });
  }

  /**
   * Compares in NFKC form; hashes made before passwords were normalised hold the raw form, so
   * that is tried as well when it differs (a second argon2 only for such passwords; the
   * rehash on the next sign-in, when parameters rise, stores the normalised form).
   */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const target = hash ?? (await this.dummyHash);
    const normalized = normalizePassword(password);
    if (await this.compare(target, normalized)) return true;
    return normalized !== password && (await this.compare(target, password));
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

  /**
   * Why a new password is refused, or null when it is acceptable. Judged in the form it is
   * hashed in. zxcvbn costs milliseconds: only for new passwords, never on sign-in.
   */
  policyViolation(raw: string, username?: string): string | null {
    const password = normalizePassword(raw);
    const chars = [...password];
    if (chars.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
    if (chars.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
    const lower = password.toLowerCase();
    if (commonPasswords.has(lower)) return 'is one of the most common passwords';
    if (username && lower.includes(username.toLowerCase())) return 'must not contain the username';
    if (new Set(chars).size < 4) return 'has too few distinct characters';
    const { score } = strength.check(password, [...(username ? [username] : []), 'bouncer']);
    if (score < PASSWORD_MIN_STRENGTH) {
      return (
        `is too easy to guess (strength ${score} of 4, at least ${PASSWORD_MIN_STRENGTH} needed): ` +
        'avoid repeats, sequences, keyboard patterns and common words with small changes; a few unrelated words work well'
      );
    }
    return null;
  }
}
