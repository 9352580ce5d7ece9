import { ChangeDetectionStrategy, Component, computed, signal } from '@angular/core';
import {
  COMMON_TIME_ZONES,
  formatDateTime,
  isTimeZone,
  setTimePreferences,
  timePreferences,
  timeZoneLabel,
} from '../console/shared/date-time';

/**
 * How this browser shows times: the time zone and a 12- or 24-hour clock. Applies at once to
 * every page and chart; kept in localStorage (a display preference, not an account setting).
 */
@Component({
  selector: 'bn-time-preferences',
  template: `
    <form class="prefs" (submit)="$event.preventDefault()" aria-label="How times are shown">
      <div class="field">
        <label for="time-zone">Time zone</label>
        <select id="time-zone" data-testid="time-zone" (change)="pickZone($event)">
          <option value="" [selected]="prefs().timeZone === ''">This browser's ({{ browserZone }})</option>
          @for (z of zones; track z) {
            <option [value]="z" [selected]="prefs().timeZone === z">{{ z }}</option>
          }
        </select>
      </div>
      <div class="field check">
        <input id="hour12" type="checkbox" data-testid="hour12" [checked]="prefs().hour12" (change)="pickClock($event)" />
        <label for="hour12">12-hour clock (AM/PM)</label>
      </div>
      <p class="hint" data-testid="time-example">Times now read like this: {{ example() }}, {{ zone() }}.</p>
    </form>
  `,
  styles: `
    .prefs {
      display: grid;
      gap: 0.6rem;
    }
    .check {
      display: flex;
      gap: 0.5rem;
      align-items: center;
    }
    .hint {
      margin: 0;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TimePreferencesForm {
  protected readonly prefs = timePreferences;
  protected readonly browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  protected readonly zones = COMMON_TIME_ZONES.filter((z) => z !== this.browserZone);
  private readonly at = signal(Date.now());
  protected readonly example = computed(() => {
    this.prefs();
    return formatDateTime(this.at());
  });
  protected readonly zone = computed(() => {
    this.prefs();
    return timeZoneLabel(this.at());
  });

  protected pickZone(e: Event): void {
    const zone = (e.target as HTMLSelectElement).value;
    setTimePreferences({ ...this.prefs(), timeZone: zone === '' || isTimeZone(zone) ? zone : '' });
  }

  protected pickClock(e: Event): void {
    setTimePreferences({ ...this.prefs(), hour12: (e.target as HTMLInputElement).checked });
  }
}
