/** A clock tests move by hand (fits any `{ now(): number }` clock, milliseconds since the epoch). */
export class ManualClock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}
