import { ManualClock } from '@bouncer/detection/testing';
import {
  FLOOD_REFUSALS,
  MAX_HELD,
  MAX_HOLD_MS,
  OVERLOAD_LAG_MS,
  OVERLOAD_CLIENTS,
  PACING_COOLDOWN_MS,
  RefusalPacing,
} from './refusal-pacing';

/** A pacing whose held refusals wait until the test releases them (no timers, no sleeps). */
function pacingWithManualTimers() {
  const clock = new ManualClock(1_700_000_000_000);
  const pacing = new RefusalPacing(clock);
  const scheduled: { ms: number; run: () => void }[] = [];
  pacing.schedule = (ms, run) => void scheduled.push({ ms, run });
  return { clock, pacing, scheduled };
}

describe('RefusalPacing', () => {
  it('counts each refused client once per window', async () => {
    const { pacing } = pacingWithManualTimers();
    pacing.answer('203.0.113.1', 1, () => undefined);
    await pacing.hold('203.0.113.1', 1);
    await pacing.hold('203.0.113.2', 1);
    expect(pacing.refusedClientsInWindow).toBe(2);
  });

  it('answers at once while the event loop keeps up, or is slow but refusing few clients', () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS - 1, OVERLOAD_CLIENTS * 10, FLOOD_REFUSALS - 1);
    // One client hammering (lines 4 and 5 of issue 12), on a slow machine or as fast as it can, is not a flood.
    pacing.observeWindow(OVERLOAD_LAG_MS * 10, OVERLOAD_CLIENTS - 1);
    pacing.observeWindow(1, OVERLOAD_CLIENTS - 1, FLOOD_REFUSALS * 100);
    const sent: string[] = [];
    pacing.answer('203.0.113.1', 30, () => sent.push('403'));
    expect(sent).toEqual(['403']);
    expect(scheduled).toEqual([]);
    expect(pacing.holdMs(30)).toBe(0);
  });

  it('holds refusals for their Retry-After, at most MAX_HOLD_MS, once a window is overloaded', () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS, OVERLOAD_CLIENTS);
    expect(pacing.pacing).toBe(true);
    expect(pacing.holdMs(0.25)).toBe(250);
    expect(pacing.holdMs(600)).toBe(MAX_HOLD_MS);

    const sent: string[] = [];
    pacing.answer('203.0.113.1', 600, () => sent.push('403'));
    expect(sent).toEqual([]);
    expect(pacing.holding).toBe(1);
    expect(scheduled.map((s) => s.ms)).toEqual([MAX_HOLD_MS]);
    scheduled[0]!.run();
    expect(sent).toEqual(['403']);
    expect(pacing.holding).toBe(0);
  });

  it('holds refusals to many clients that come fast, even while the loop keeps up', () => {
    const { pacing } = pacingWithManualTimers();
    // A fast machine answers a flood in short turns: the delay stays low, the refusals do not.
    pacing.observeWindow(1, OVERLOAD_CLIENTS, FLOOD_REFUSALS);
    expect(pacing.holdMs(5)).toBe(MAX_HOLD_MS);
  });

  it('judges a window by the refusals it answered, then counts afresh', () => {
    const { pacing } = pacingWithManualTimers();
    const flood = (refusals: number) => {
      for (let i = 0; i < refusals; i++) pacing.answer(`10.0.0.${i % OVERLOAD_CLIENTS}`, 1, () => undefined);
    };
    flood(FLOOD_REFUSALS - 1);
    pacing.closeWindow(1);
    expect(pacing.pacing).toBe(false);
    expect(pacing.refusedClientsInWindow).toBe(0);
    // The last window's refusals do not carry over: this one alone must reach the mark.
    flood(1);
    pacing.closeWindow(1);
    expect(pacing.pacing).toBe(false);
    flood(FLOOD_REFUSALS);
    pacing.closeWindow(1);
    expect(pacing.pacing).toBe(true);
  });

  it('hold() resolves only when the held refusal is released', async () => {
    const { pacing, scheduled } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS * 3, OVERLOAD_CLIENTS);
    let released = false;
    const held = pacing.hold('203.0.113.1', 1).then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    scheduled[0]!.run();
    await held;
    expect(released).toBe(true);
  });

  it('stays on for the cool-down after the last overloaded window, then answers at once again', () => {
    const { clock, pacing } = pacingWithManualTimers();
    pacing.observeWindow(OVERLOAD_LAG_MS + 50, OVERLOAD_CLIENTS * 4);
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
    pacing.observeWindow(OVERLOAD_LAG_MS, OVERLOAD_CLIENTS);
    let immediate = 0;
    for (let i = 0; i < MAX_HELD + 5; i++) pacing.answer(`10.0.${i >> 8}.${i & 255}`, 1, () => immediate++);
    expect(pacing.holding).toBe(MAX_HELD);
    expect(immediate).toBe(5);
    scheduled[0]!.run();
    expect(pacing.holding).toBe(MAX_HELD - 1);
    expect(pacing.holdMs(1)).toBe(MAX_HOLD_MS);
  });
});
