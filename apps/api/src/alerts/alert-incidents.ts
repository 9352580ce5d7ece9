/**
 * Counts events per key in a sliding window and says when a key crosses its threshold, once per
 * incident: a key that fired stays quiet until its window has passed with no new event
 * (a continuing attack is one incident, not one alert per minute). Bounded in keys.
 */
export class IncidentCounter {
  private readonly hits = new Map<string, number[]>();
  private readonly firedUntil = new Map<string, number>();

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Notes one event for `key` at `now`; true when this event starts an incident. */
  hit(key: string, now: number): boolean {
    const quietUntil = this.firedUntil.get(key);
    if (quietUntil !== undefined) {
      if (now < quietUntil) {
        this.firedUntil.set(key, now + this.windowMs);
        return false;
      }
      this.firedUntil.delete(key);
    }
    const times = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    times.push(now);
    if (times.length >= this.threshold) {
      this.hits.delete(key);
      this.firedUntil.set(key, now + this.windowMs);
      this.trim(this.firedUntil);
      return true;
    }
    this.hits.delete(key);
    this.hits.set(key, times);
    this.trim(this.hits);
    return false;
  }

  private trim(map: Map<string, unknown>): void {
    while (map.size > this.maxKeys) {
      const oldest = map.keys().next().value as string;
      map.delete(oldest);
    }
  }
}
