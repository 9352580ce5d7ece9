import { familyIdOf } from './refresh-token.service';

describe('familyIdOf (the family part of a presented refresh token)', () => {
  it('reads the lower-case UUID we issue', () => {
    expect(familyIdOf('0b1a2c3d-4e5f-4a6b-8c7d-0123456789ab.secret')).toBe('0b1a2c3d-4e5f-4a6b-8c7d-0123456789ab');
  });
  it.each([
    '------------------------------------.abc',
    '0123456789abcdef0123456789abcdef0123.abc',
    'ffffffff-ffff-ffff-ffff-fffffffffff-.abc',
    '0B1A2C3D-4E5F-4A6B-8C7D-0123456789AB.abc',
    '0b1a2c3d-4e5f-4a6b-8c7d-0123456789ab',
    '0b1a2c3d-4e5f-4a6b-8c7d-0123456789abc.x',
    '\u0000b1a2c3d-4e5f-4a6b-8c7d-0123456789ab.x',
    '.abc',
    '',
  ])('refuses %j before it reaches SQL', (token) => {
    expect(familyIdOf(token)).toBeNull();
  });
});
