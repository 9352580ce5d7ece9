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
