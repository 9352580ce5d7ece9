import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

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
 * Why a new password is refused, or null when it is acceptable. Judged in the form it is
 * hashed in. zxcvbn costs milliseconds: only for new passwords, never on sign-in. Pure (no
 * argon2, no configuration), so loadConfig checks ADMIN_PASSWORD with it before anything is
 * created on disk.
 */
export function passwordPolicyViolation(raw: string, username?: string): string | null {
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
