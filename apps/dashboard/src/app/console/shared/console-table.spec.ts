import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { type Column, ConsoleTable, type SortState } from './console-table';

@Component({
  imports: [ConsoleTable],
  template: `
    <bn-console-table caption="Things" [columns]="columns" [sort]="sort()" (sortBy)="asked.push($event)" testId="things">
      <th scope="col" class="check"><input type="checkbox" aria-label="Select every thing" /></th>
      <tr>
        <td>a</td>
        <td>b</td>
        <td>c</td>
      </tr>
    </bn-console-table>
  `,
})
class Host {
  readonly columns: Column[] = [{ label: 'Name', sort: 'name' }, 'Note', { label: 'Size', num: true, sort: 'size' }];
  readonly sort = signal<SortState | null>({ key: 'size', direction: 'descending' });
  readonly asked: string[] = [];
}

describe('ConsoleTable', () => {
  function setup() {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    const el = fixture.nativeElement as HTMLElement;
    const headers = () => Array.from(el.querySelectorAll('thead th'));
    return { fixture, el, headers };
  }

  it("puts the host's own header cell first, then the columns, and the rows in the body", () => {
    const { el, headers } = setup();
    expect(headers().map((h) => h.textContent?.trim())).toEqual(['', 'Name', 'Note', 'Size']);
    expect(headers()[0]?.querySelector('input[aria-label="Select every thing"]')).not.toBeNull();
    expect(headers()[3]?.classList.contains('num')).toBe(true);
    expect(el.querySelectorAll('[data-testid="things"] tbody tr').length).toBe(1);
    expect(el.querySelector('caption')?.textContent?.trim()).toBe('Things');
  });

  it('makes the sortable headers buttons, marks the sorted one with aria-sort, and asks to sort by a key', () => {
    const { fixture, headers } = setup();
    expect(headers().map((h) => h.getAttribute('aria-sort'))).toEqual([null, null, null, 'descending']);
    expect(headers().map((h) => h.querySelector('button')?.textContent?.trim() ?? null)).toEqual([null, 'Name', null, 'Size']);
    headers()[1]!.querySelector('button')!.click();
    expect(fixture.componentInstance.asked).toEqual(['name']);
    fixture.componentInstance.sort.set({ key: 'name', direction: 'ascending' });
    fixture.detectChanges();
    expect(headers().map((h) => h.getAttribute('aria-sort'))).toEqual([null, 'ascending', null, null]);
  });
});
