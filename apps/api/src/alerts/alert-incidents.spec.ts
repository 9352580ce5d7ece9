import { IncidentCounter } from './alert-incidents';

describe('IncidentCounter', () => {
  it('fires once when a key reaches the threshold in the window, and stays quiet while the incident goes on', () => {
    const c = new IncidentCounter(3, 60_000);
    expect([c.hit('a', 0), c.hit('a', 1_000), c.hit('a', 2_000)]).toEqual([false, false, true]);
    // The same attack continuing: no new alert.
    for (let t = 3_000; t < 200_000; t += 10_000) expect(c.hit('a', t)).toBe(false);
  });

  it('fires again after a quiet window, and does not count events older than the window', () => {
    const c = new IncidentCounter(2, 60_000);
    c.hit('a', 0);
    expect(c.hit('a', 1_000)).toBe(true);
    expect(c.hit('a', 62_000)).toBe(false); // quiet period ends here; counting starts over
    expect(c.hit('a', 63_000)).toBe(true);
    expect(c.hit('b', 0)).toBe(false);
    expect(c.hit('b', 61_000)).toBe(false);
  });
});
