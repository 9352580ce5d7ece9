import type { ListEntry } from '@bouncer/contracts';
import { AccessLists } from './access-lists';

const T0 = Date.parse('2026-12-03T08:00:00Z');
const entry = (kind: 'allow' | 'deny', cidr: string, expiresAt: number | null): ListEntry => ({
  kind,
  cidr,
  note: '',
  created_at: new Date(T0).toISOString(),
  created_by: 'admin:root',
  expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
});

describe('AccessLists', () => {
  it('applies an entry until its expiry, and configured ranges always', () => {
    const lists = new AccessLists(['10.0.0.0/8'], []);
    lists.replace([entry('deny', '192.0.2.1', T0 + 60_000), entry('allow', '198.51.100.0/24', null)]);
    expect(lists.ranges(T0)).toEqual({ allow: ['10.0.0.0/8', '198.51.100.0/24'], deny: ['192.0.2.1'] });
    expect(lists.ranges(T0 + 60_000)).toEqual({ allow: ['10.0.0.0/8', '198.51.100.0/24'], deny: [] });
  });

  it('drops expired entries and returns them; the others stay', () => {
    const lists = new AccessLists([], []);
    lists.replace([entry('deny', '192.0.2.1', T0 + 60_000), entry('allow', '198.51.100.0/24', null)]);
    expect(lists.dropExpired(T0 + 59_999)).toEqual([]);
    expect(lists.dropExpired(T0 + 60_000).map((e) => e.cidr)).toEqual(['192.0.2.1']);
    expect(lists.all().map((e) => e.cidr)).toEqual(['198.51.100.0/24']);
  });
});
