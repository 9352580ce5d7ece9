import { TestBed } from '@angular/core/testing';
import { Pager, pageCount, pageRange } from './pager';

describe('pageRange and pageCount', () => {
  it('say which rows of how many a page shows, and how many pages there are', () => {
    expect(pageRange({ page: 3, page_size: 25, total: 61, items: new Array(11) })).toEqual({ first: 51, last: 61, total: 61 });
    expect(pageCount({ page: 3, page_size: 25, total: 61, items: [] })).toBe(3);
    expect(pageRange({ page: 1, page_size: 25, total: 0, items: [] })).toBeNull();
    // A page past the end (a stale link) shows nothing, not "76–75 of 61".
    expect(pageRange({ page: 4, page_size: 25, total: 61, items: [] })).toBeNull();
    expect(pageCount(null)).toBe(1);
  });
});

describe('Pager', () => {
  it('asks for the first, previous, next and last page, and disables what leads nowhere', () => {
    const fixture = TestBed.createComponent(Pager);
    fixture.componentRef.setInput('page', 1);
    fixture.componentRef.setInput('info', { page: 1, page_size: 10, total: 35, items: new Array(10) });
    fixture.componentRef.setInput('label', 'Pages of things');
    fixture.detectChanges();
    const asked: number[] = [];
    fixture.componentInstance.go.subscribe((p) => asked.push(p));
    const el = fixture.nativeElement as HTMLElement;
    const button = (t: string) => Array.from(el.querySelectorAll('button')).find((b) => b.textContent?.trim() === t)!;
    expect(el.querySelector('nav')?.getAttribute('aria-label')).toBe('Pages of things');
    expect(el.textContent).toContain('Page 1 of 4');
    expect([button('First').disabled, button('Previous').disabled, button('Next').disabled]).toEqual([true, true, false]);
    button('Next').click();
    button('Last').click();
    expect(asked).toEqual([2, 4]);
  });
});

describe('Pager by cursor', () => {
  it('asks for newer and older pages, and disables the way that leads nowhere', () => {
    const fixture = TestBed.createComponent(Pager);
    fixture.componentRef.setInput('cursor', { newer: false, older: true });
    fixture.componentRef.setInput('label', 'Pages of the log');
    fixture.detectChanges();
    const asked: string[] = [];
    fixture.componentInstance.step.subscribe((s) => asked.push(s));
    const el = fixture.nativeElement as HTMLElement;
    const [newer, older] = Array.from(el.querySelectorAll('button'));
    expect(el.querySelector('nav')?.getAttribute('aria-label')).toBe('Pages of the log');
    expect([newer!.textContent?.trim(), newer!.disabled, older!.textContent?.trim(), older!.disabled]).toEqual([
      'Newer',
      true,
      'Older',
      false,
    ]);
    older!.click();
    fixture.componentRef.setInput('cursor', { newer: true, older: true });
    fixture.detectChanges();
    el.querySelector('button')!.click();
    expect(asked).toEqual(['older', 'newer']);
  });
});
