import { parseRevocation } from './revocation.service';

describe('parseRevocation (messages on the shared revocation channel)', () => {
  it('reads the three kinds', () => {
    expect(parseRevocation('{"kind":"jti","id":"a","exp":1}')).toEqual({ kind: 'jti', id: 'a', exp: 1 });
    expect(parseRevocation('{"kind":"user","id":"u","at":2}')).toEqual({ kind: 'user', id: 'u', at: 2 });
  });
  it.each(['not json', 'null', '[]', '{"kind":"jti"}', '{"kind":"nope","id":"a","exp":1}', '{"kind":"session","id":1,"exp":1}'])(
    'ignores %s',
    (raw) => {
      expect(parseRevocation(raw)).toBeNull();
    },
  );
});
