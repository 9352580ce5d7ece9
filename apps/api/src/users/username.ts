/**
 * One account per name however it is typed: trimmed, NFKC-normalized (full-width and
 * ligature forms fold to plain letters), lower case. `Admin`, ` admin ` and `ａｄｍｉｎ` are one.
 */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

/** Letters, digits and `._-@`, 3 to 64 characters after normalization. */
export const USERNAME_PATTERN = /^[\p{L}\p{N}._@-]{3,64}$/u;
