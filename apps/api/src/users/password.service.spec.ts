import * as argon2 from 'argon2';
import { loadConfig } from '../config/app-config';
import { PasswordService } from './password.service';
import { normalizeUsername } from './username';

describe('PasswordService', () => {
  const service = new PasswordService(loadConfig({}));

  it('hashes with argon2id at 19 MiB, t=2, p=1', async () => {
    const hash = await service.hash('a perfectly fine passphrase');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await service.verify(hash, 'a perfectly fine passphrase')).toBe(true);
    expect(await service.verify(hash, 'a perfectly fine passphrasE')).toBe(false);
    expect(await service.verify(null, 'anything at all')).toBe(false);
  });

  it('asks for a rehash when the parameters rise', async () => {
    const weak = await argon2.hash('x', { type: argon2.argon2id, memoryCost: 8192, timeCost: 1 });
    expect(service.needsRehash(weak)).toBe(true);
    expect(service.needsRehash(await service.hash('x'))).toBe(false);
  });

  it.each([
    ['short1!', /at least 12/],
    ['x'.repeat(257), /at most 256/],
    ['password1234', /most common/],
    ['Qwerty123456', /most common/],
    ['aaaaaaaaaaaa', /common|distinct/],
    ['alice-secret-2026', /username/],
  ])('refuses %s', (pw, why) => {
    expect(service.policyViolation(pw, 'alice')).toMatch(why);
  });

  it('accepts a long unusual password', () => {
    expect(service.policyViolation('correct horse battery staple 42', 'alice')).toBeNull();
  });
});

describe('normalizeUsername', () => {
  it('folds case, width and surrounding space', () => {
    expect(normalizeUsername(' Admin ')).toBe('admin');
    expect(normalizeUsername('ＡＤＭＩＮ')).toBe('admin');
  });
});
