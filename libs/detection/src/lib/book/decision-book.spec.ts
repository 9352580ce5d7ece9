import type { StandingDecision } from '../decision';
import { DecisionBook } from './decision-book';

const T0 = Date.UTC(2026, 0, 1);
const block = (client: string, seconds: number, over: Partial<StandingDecision> = {}): StandingDecision => ({
  client,
  state: 'blocked',
  scope: 'all',
  rule: 'request-rate',
  reason: 'test',
  createdAt: T0,
  expiresAt: T0 + seconds * 1000,
  decidedBy: 'rule:request-rate',
  enforced: true,
  ...over,
});

describe('DecisionBook: set, extend, lift, expire', () => {
  it('keeps a longer decision against a shorter one and lets a longer one extend it', () => {
    const book = new DecisionBook();
    expect(book.put(block('10.0.0.1', 300), T0)).toBe('new');
    expect(book.put(block('10.0.0.1', 60, { rule: 'probing' }), T0)).toBe('kept');
    expect(book.blockFor('10.0.0.1', 'all', T0)?.rule).toBe('request-rate');
    expect(book.put(block('10.0.0.1', 900, { rule: 'probing' }), T0)).toBe('extended');
    expect(book.blockFor('10.0.0.1', 'all', T0)).toMatchObject({ rule: 'probing', expiresAt: T0 + 900_000 });
  });

  it('holds a sign-in buffer and an all-route block side by side', () => {
    const book = new DecisionBook();
    book.put(block('10.0.0.2', 600, { scope: 'sign-in', rule: 'failed-logins' }), T0);
    book.put(block('10.0.0.2', 5), T0);
    expect(book.blockFor('10.0.0.2', 'all', T0 + 1000)?.rule).toBe('request-rate');
    expect(book.blockFor('10.0.0.2', 'all', T0 + 6000)).toBeNull();
    expect(book.blockFor('10.0.0.2', 'sign-in', T0 + 6000)?.rule).toBe('failed-logins');
    expect(book.state('10.0.0.2', T0 + 6000)).toBe('blocked');
  });

  it('lifts every scope of a state at once, and expires what is past its time', () => {
    const book = new DecisionBook();
    book.put(block('10.0.0.3', 600, { scope: 'sign-in' }), T0);
    book.put(block('10.0.0.3', 60), T0);
    book.put(block('10.0.0.3', 600, { state: 'suspicious' }), T0);
    expect(book.remove('10.0.0.3', 'blocked', T0).length).toBe(2);
    expect(book.state('10.0.0.3', T0)).toBe('suspicious');
    expect(book.expire(T0 + 600_000).map((d) => d.state)).toEqual(['suspicious']);
    expect(book.list(T0 + 600_000)).toEqual([]);
  });

  it('blocks ranges by CIDR, but an IPv6 client key is one client', () => {
    const book = new DecisionBook(64);
    book.put(block('203.0.113.0/24', 60, { rule: 'admin' }), T0);
    book.put(block('2001:db8::/64', 60), T0);
    expect(book.blockFor('203.0.113.77', 'all', T0)?.client).toBe('203.0.113.0/24');
    expect(book.blockFor('2001:db8::/64', 'all', T0)).not.toBeNull();
    expect(book.blockFor('2001:db8:0:1::/64', 'all', T0)).toBeNull();
    expect(book.blockedWithin('203.0.0.0/16', T0)).toEqual(['203.0.113.0/24']);
  });

  it('lets the allow list win over the deny list', () => {
    const book = new DecisionBook();
    book.setLists(['198.51.100.7/32'], ['198.51.100.0/24']);
    expect(book.denyEntry('198.51.100.8')).toBe('198.51.100.0/24');
    expect(book.denyEntry('198.51.100.7')).toBeNull();
    expect(book.isAllowlisted('198.51.100.7')).toBe(true);
  });
});

describe('DecisionBook: the request path answers what the list holds', () => {
  // The request path skips clients the book holds nothing for (a count per client, kept by every
  // change); a random mix of changes must never leave a decision it then fails to see.
  it('after any mix of put, remove and expire, blockFor and suspicion agree with list()', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const clients = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '2001:db8:1::/64'];
    const book = new DecisionBook();
    let now = T0;
    for (let step = 0; step < 3_000; step++) {
      const client = clients[random(clients.length)]!;
      const roll = random(10);
      if (roll < 5) {
        const state = random(2) === 0 ? 'blocked' : 'suspicious';
        const scope = state === 'blocked' && random(2) === 0 ? 'sign-in' : 'all';
        book.put({ ...block(client, 1 + random(120)), state, scope, createdAt: now, expiresAt: now + (1 + random(120)) * 1000 }, now);
      } else if (roll < 7) book.remove(client, random(2) === 0 ? 'blocked' : 'suspicious', now, random(3) === 0 ? 'sign-in' : undefined);
      else if (roll < 8) book.expire(now);
      else now += random(30) * 1000;
      const standing = book.list(now);
      for (const c of clients) {
        const find = (state: string, scope: string) =>
          standing.find((d) => d.client === c && d.state === state && d.scope === scope) ?? null;
        expect(book.blockFor(c, 'all', now)).toBe(find('blocked', 'all'));
        expect(book.blockFor(c, 'sign-in', now)).toBe(find('blocked', 'sign-in'));
        expect(book.suspicion(c, now)).toBe(find('suspicious', 'all'));
      }
    }
  });
});

describe('DecisionBook.isQuiet (the request path skips the book for such a client)', () => {
  it('is true only while nothing in the book could concern the client', () => {
    const book = new DecisionBook();
    expect(book.isQuiet('10.0.0.9')).toBe(true);
    book.put(block('10.0.0.9', 60, { state: 'suspicious' }), T0);
    expect([book.isQuiet('10.0.0.9'), book.isQuiet('10.0.0.10')]).toEqual([false, true]);
    book.remove('10.0.0.9', 'suspicious', T0);
    expect(book.isQuiet('10.0.0.9')).toBe(true);
    book.put(block('10.1.0.0/16', 60), T0);
    expect(book.isQuiet('10.0.0.10')).toBe(false);
    const listed = new DecisionBook();
    listed.setLists(['192.0.2.0/24'], []);
    expect(listed.isQuiet('10.0.0.10')).toBe(false);
    listed.setLists([], ['192.0.2.0/24']);
    expect(listed.isQuiet('10.0.0.10')).toBe(false);
    listed.setLists([], []);
    expect(listed.isQuiet('10.0.0.10')).toBe(true);
  });
});
