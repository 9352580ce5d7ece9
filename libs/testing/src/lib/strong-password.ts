import { randomBytes } from 'node:crypto';

/** A password no policy should refuse: long, mixed classes, random. */
export function strongPassword(): string {
  return `Bn-${randomBytes(18).toString('base64url')}-9x!Q`;
}
