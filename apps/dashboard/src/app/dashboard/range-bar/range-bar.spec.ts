import { TestBed } from '@angular/core/testing';
import { parseDateTime } from '../../console/shared/date-time';
import type { ViewRange } from '../time-range';
import { RangeBar } from './range-bar';

describe('RangeBar custom range', () => {
  function setup() {
    const fixture = TestBed.createComponent(RangeBar);
    fixture.componentRef.setInput('range', { kind: 'named', key: '1h' });
    fixture.componentRef.setInput('now', Date.UTC(2026, 11, 3, 12, 0));
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    document.body.appendChild(el);
    const chosen: ViewRange[] = [];
    fixture.componentInstance.rangeChange.subscribe((r) => chosen.push(r));
    el.querySelector<HTMLButtonElement>('[data-testid="range-custom"]')!.click();
    fixture.detectChanges();
    const field = (key: 'since' | 'until') => el.querySelector<HTMLInputElement>(`#range-${key}`)!;
    const apply = (since: string, until: string) => {
      field('since').value = since;
      field('until').value = until;
      el.querySelector('form')!.dispatchEvent(new Event('submit'));
      fixture.detectChanges();
    };
    return { el, field, apply, chosen };
  }

  it('shows both bounds of the range in the fields, each with its label', () => {
    const { el, field } = setup();
    expect(Array.from(el.querySelectorAll('form label')).map((l) => [l.textContent?.trim(), l.getAttribute('for')])).toEqual([
      ['From', 'range-since'],
      ['To', 'range-until'],
    ]);
    expect(field('since').value).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(parseDateTime(field('until').value)! - parseDateTime(field('since').value)!).toBe(3_600_000);
  });

  it('names the first field to fix, focuses it, and emits nothing', () => {
    const { el, field, apply, chosen } = setup();
    apply('2026-12-03 10:00', 'soon');
    expect(field('since').getAttribute('aria-invalid')).toBe('false');
    expect(field('until').getAttribute('aria-describedby')).toBe('range-until-error');
    expect(el.querySelector('#range-until-error')?.textContent).toBe('Enter a time as YYYY-MM-DD HH:MM.');
    expect(document.activeElement).toBe(field('until'));
    apply('2026-12-03 10:00', '2026-12-03 09:00');
    expect(el.querySelector('#range-until-error')?.textContent).toBe('The end must be after the start.');
    apply('yesterday', 'soon');
    expect(document.activeElement).toBe(field('since'));
    expect(chosen).toEqual([]);
  });

  it('emits a custom range that is right', () => {
    const { apply, chosen, el } = setup();
    apply('2026-12-03 10:00', '2026-12-03 11:30');
    expect(el.querySelector('.field-error')).toBeNull();
    expect(chosen).toEqual([{ kind: 'custom', since: parseDateTime('2026-12-03 10:00'), until: parseDateTime('2026-12-03 11:30') }]);
  });
});

describe('RangeBar on a page read once (Accounts)', () => {
  const now = Date.UTC(2026, 11, 3, 12, 0);
  function setup() {
    const fixture = TestBed.createComponent(RangeBar);
    fixture.componentRef.setInput('range', { kind: 'named', key: '24h' });
    fixture.componentRef.setInput('now', now);
    fixture.componentRef.setInput('live', false);
    fixture.componentRef.setInput('zoomable', false);
    fixture.componentRef.setInput('note', 'counted from the start to the end');
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    document.body.appendChild(el);
    const chosen: ViewRange[] = [];
    fixture.componentInstance.rangeChange.subscribe((r) => chosen.push(r));
    return { fixture, el, chosen };
  }

  it('has the named ranges and Custom, without zoom, pause or refresh', () => {
    const { el } = setup();
    expect(Array.from(el.querySelectorAll('button')).map((b) => b.textContent?.trim())).toEqual([
      '15 min',
      '1 h',
      '24 h',
      '7 days',
      'Custom',
    ]);
    expect(el.querySelector('[data-testid="range-24h"]')?.getAttribute('aria-pressed')).toBe('true');
    expect(el.querySelector('#refresh-every')).toBeNull();
  });

  it("takes a start and an end, in order, with the page's note", () => {
    const { fixture, el, chosen } = setup();
    el.querySelector<HTMLButtonElement>('[data-testid="range-custom"]')!.click();
    fixture.detectChanges();
    expect(Array.from(el.querySelectorAll('form label')).map((l) => l.textContent?.trim())).toEqual(['From', 'To']);
    expect(el.querySelector('#range-format')?.textContent).toContain('counted from the start to the end.');
    el.querySelector<HTMLInputElement>('#range-since')!.value = '2026-12-03 08:00';
    el.querySelector<HTMLInputElement>('#range-until')!.value = '2026-12-03 07:00';
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    fixture.detectChanges();
    expect(el.querySelector('#range-until-error')?.textContent).toBe('The end must be after the start.');
    el.querySelector<HTMLInputElement>('#range-until')!.value = '2026-12-03 10:00';
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    expect(chosen).toEqual([{ kind: 'custom', since: parseDateTime('2026-12-03 08:00'), until: parseDateTime('2026-12-03 10:00') }]);
  });
});

describe('RangeBar on a page that does not poll', () => {
  it('offers the range and zoom but not pause or the refresh interval', () => {
    const fixture = TestBed.createComponent(RangeBar);
    fixture.componentRef.setInput('range', { kind: 'named', key: '1h' });
    fixture.componentRef.setInput('now', Date.UTC(2026, 11, 3, 12, 0));
    fixture.componentRef.setInput('live', false);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    const has = (id: string) => el.querySelector(`[data-testid="${id}"]`) !== null;
    expect(['range-15m', 'range-7d', 'range-custom', 'zoom-in', 'pause', 'refresh-every'].map(has)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(el.querySelector('[data-testid="range-1h"]')?.getAttribute('aria-pressed')).toBe('true');
  });
});
