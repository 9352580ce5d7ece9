import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SigningKeysService } from './signing-keys.service';

export const DEVICE_COOKIE = 'bn_device';

/**
 * A signed cookie saying "this browser has signed in as <user> before". It lets the owner
 * through while their account is under a distributed guessing attack (rule 3).
 */
@Injectable()
export class DeviceCookieService {
  constructor(private readonly keys: SigningKeysService) {}

  private mac(username: string): string {
    // Derived from the signing key, so instances sharing keys accept each other's cookies.
    const key = createHash('sha256').update('bouncer-device-cookie\0').update(this.keys.privateKeyPem).digest();
    return createHmac('sha256', key).update(username).digest('base64url');
  }

  issue(username: string): string {
    return `${Buffer.from(username).toString('base64url')}.${this.mac(username)}`;
  }

  /** True when the cookie was issued by us for exactly this (normalized) user. */
  vouchesFor(cookie: string | undefined, username: string): boolean {
    if (!cookie) return false;
    const [name, mac] = cookie.split('.');
    if (!name || !mac) return false;
    if (Buffer.from(name, 'base64url').toString() !== username) return false;
    const expected = Buffer.from(this.mac(username));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
