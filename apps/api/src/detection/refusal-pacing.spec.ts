import { ManualClock } from '@bouncer/detection/testing';
import { MAX_HELD, MAX_HOLD_MS, OVERLOAD_LAG_MS, OVERLOAD_REFUSALS, PACING_COOLDOWN_MS, RefusalPacing } from './refusal-pacing';

/** A pacing whose held refusals wait until the test releases them (no timers, no sleeps). */
function pacingWithManualTimers() {
  const clock = new ManualClock(1_700_000_000_000);
  const pacing = new RefusalPacing(clock);
  const scheduled: { ms: number; run: () => void }[] = [];
  pacing.schedule = (ms, run) => void scheduled.push({ ms, run });
  return { clock, pacing, scheduled };
}

describe('RefusalPacing', () => {
  it('answers at once while the event loop keeps up, or is slow without many refusals', () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS - 1, OVERLOAD_REFUSALS * 10);
    pacing.observeWindow(OVERLOAD_LAG_MS * 10, OVERLOAD_REFUSALS - 1);
    const sent: string[] = [];
    pacing.answer(30, () => sent.push('403'));
    expect(sent).toEqual(['403']);
    expect(scheduled).toEqual([]);
    expect(pacing.holdMs(30)).toBe(0);
  });

  it('holds refusals for their Retry-After, at most MAX_HOLD_MS, once a window is overloaded', () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS, OVERLOAD_REFUSALS);
    expect(pacing.pacing).toBe(true);
    expect(pacing.holdMs(0.25)).toBe(250);
    expect(pacing.holdMs(600)).toBe(MAX_HOLD_MS);

    const sent: string[] = [];
    pacing.answer(600, () => sent.push('403'));
    expect(sent).toEqual([]);
    expect(pacing.holding).toBe(1);
    expect(scheduled.map((s) => s.ms)).toEqual([MAX_HOLD_MS]);
    scheduled[0]!.run();
    expect(sent).toEqual(['403']);
    expect(pacing.holding).toBe(0);
  });

  it('hold() resolves only when the held refusal is released', async () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS * 3, OVERLOAD_REFUSALS);
    let released = false;
    const held = pacing.hold(1).then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    scheduled[0]!.run();
    await held;
    expect(released).toBe(true);
  });

  it('stays on for the cool-down after the last overloaded window, then answers at once again', () => {
    const { clock, pacing } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS + 50, OVERLOAD_REFUSALS * 4);
    clock.advance(PACING_COOLDOWN_MS - 1);
    expect(pacing.holdMs(5)).toBe(MAX_HOLD_MS);
    // A healthy window does not end it early: the attackers it slowed would come straight back.
    pacing.observeWindow(5, 0);
    expect(pacing.pacing).toBe(true);
    clock.advance(1);
    expect(pacing.pacing).toBe(false);
    expect(pacing.holdMs(5)).toBe(0);
  });

  it('holds at most MAX_HELD refusals at once and answers the rest at once', () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS, OVERLOAD_REFUSALS);
    let immediate = 0;
    for (let i = 0; i < MAX_HELD + 5; i++) pacing.answer(1, () => immediate++);
    expect(pacing.holding).toBe(MAX_HELD);
    expect(immediate).toBe(5);
    scheduled[0]!.run();
    expect(pacing.holding).toBe(MAX_HELD - 1);
    expect(pacing.holdMs(1)).toBe(MAX_HOLD_MS);
  });
});
