import { randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import { strongPassword } from '@bouncer/testing';
import { loadConfig } from '../config/app-config';
import { PasswordService, passwordCheckSlots } from './password.service';
import { mixedScripts, normalizeUsername } from '../policy/username';

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
    ['😀😁😂🤣😃😄', /at least 12/],
    ['abcdabcdabcd', /too easy to guess/],
    ['         abc', /distinct|too easy/],
    ['Password1234!', /too easy to guess/],
    ['bouncer-bouncer-2026', /too easy to guess/],
    ['ﬀﬀﬀﬀﬀﬀ', /distinct|too easy/],
  ])('refuses %s', (pw, why) => {
    expect(service.policyViolation(pw, 'alice')).toMatch(why);
  });

  it('accepts a long unusual password, a generated one and one of twelve emoji', () => {
    expect(service.policyViolation('correct horse battery staple 42', 'alice')).toBeNull();
    expect(service.policyViolation(strongPassword(), 'alice')).toBeNull();
    expect(service.policyViolation(randomBytes(18).toString('base64url'), 'admin')).toBeNull();
    expect(service.policyViolation('😀😁😂🤣😃😄🐢🦊🐙🌵🍋🚲', 'alice')).toBeNull();
  });

  it('hashes and compares the NFKC form, and still accepts a hash of the raw form made before', async () => {
    const fullWidth = 'Ｆｕｌｌ-Width-Otter-Lamp-73';
    const hash = await service.hash(fullWidth);
    expect(await service.verify(hash, 'Full-Width-Otter-Lamp-73')).toBe(true);
    expect(await service.verify(hash, fullWidth)).toBe(true);
    const legacy = await argon2.hash(fullWidth, { type: argon2.argon2id });
    expect(await service.verify(legacy, fullWidth)).toBe(true);
    expect(await service.verify(legacy, 'Full-Width-Otter-Lamp-74')).toBe(false);
  });
});

describe('passwordCheckSlots', () => {
  it('leaves one CPU to the event loop, and always allows one check', () => {
    expect(passwordCheckSlots(1)).toBe(1);
    expect(passwordCheckSlots(2)).toBe(1);
    expect(passwordCheckSlots(4)).toBe(3);
    expect(passwordCheckSlots(16)).toBe(15);
  });
});

describe('normalizeUsername', () => {
  it('folds case, width and surrounding space', () => {
    expect(normalizeUsername(' Admin ')).toBe('admin');
    expect(normalizeUsername('ＡＤＭＩＮ')).toBe('admin');
  });
});

describe('mixedScripts', () => {
  it.each(['\u0430dmin', 'pаypal', 'user४२', 'αlpha'])('refuses %s', (name) => {
    expect(mixedScripts(normalizeUsername(name))).not.toBeNull();
  });
  it.each(['admin', 'пётр', 'ελένη', 'user-42', 'やまだ山田', 'taro山田', 'josé.garcía', 'नमस्ते१२'])('accepts %s', (name) => {
    expect(mixedScripts(normalizeUsername(name))).toBeNull();
  });
});
