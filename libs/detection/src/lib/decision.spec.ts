import { decisionRef, type StandingDecision } from './decision';

const d: StandingDecision = {
  client: '203.0.113.7',
  state: 'blocked',
  scope: 'all',
  rule: 'admin',
  reason: 'abuse report #12',
  createdAt: 1_700_000_000_000,
  expiresAt: 1_700_000_600_000,
  decidedBy: 'admin:admin',
  enforced: true,
};

describe('decisionRef', () => {
  it('is short, stable for the same decision (every instance, every restart) and tells nothing about it', () => {
    const ref = decisionRef(d);
    expect(ref).toMatch(/^d-[0-9a-f]{12}$/);
    const edited: StandingDecision = { ...d, reason: 'edited' };
    expect(decisionRef(edited)).toBe(ref);
    expect(ref).not.toContain('203');
  });

  it('differs between decisions', () => {
    const refs = new Set([
      decisionRef(d),
      decisionRef({ ...d, createdAt: d.createdAt + 1 }),
      decisionRef({ ...d, client: '203.0.113.8' }),
      decisionRef({ ...d, scope: 'sign-in' }),
      decisionRef({ ...d, state: 'suspicious' }),
    ]);
    expect(refs.size).toBe(5);
  });
});
