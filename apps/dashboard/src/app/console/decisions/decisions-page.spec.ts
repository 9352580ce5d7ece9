import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import type { BulkDecisionResult, DecisionView, Paged } from '@bouncer/contracts';
import { of } from 'rxjs';
import { BouncerApi } from '../../core/bouncer-api';
import { DecisionsPage } from './decisions-page';

function decision(client: string, id: string, over: Partial<DecisionView> = {}): DecisionView {
  return {
    id,
    client,
    state: 'blocked',
    reason: 'manual',
    rule: 'admin',
    created_at: '2026-12-03T10:00:00Z',
    expires_at: '2026-12-03T11:00:00Z',
    remaining_seconds: 3600,
    decided_by: 'admin:root',
    enforced: true,
    ...over,
  };
}

describe('DecisionsPage bulk actions', () => {
  const rows = [
    decision('127.60.0.1', 'd-000000000001', {
      suspicion: { id: 'd-00000000000a', reason: 'probing', rule: 'probing', remaining_seconds: 300 },
    }),
    decision('127.60.0.2', 'd-000000000002'),
    decision('127.60.0.3', 'd-000000000003', { state: 'suspicious' }),
  ];
  const page: Paged<DecisionView> = { items: rows, total: 3, page: 1, page_size: 50 };
  let api: { decisions: jest.Mock; liftDecisions: jest.Mock; extendDecisions: jest.Mock };
  let el: HTMLElement;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    api = { decisions: jest.fn(() => of(page)), liftDecisions: jest.fn(), extendDecisions: jest.fn() };
    TestBed.configureTestingModule({
      providers: [provideRouter([{ path: 'decisions', component: DecisionsPage }]), { provide: BouncerApi, useValue: api }],
    });
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/decisions');
    // The first read is on a zero-delay timer (then every 10 s).
    await new Promise((resolve) => setTimeout(resolve, 0));
    harness.detectChanges();
    el = harness.routeNativeElement as HTMLElement;
  });

  const click = (selector: string, text: string) => {
    Array.from(el.querySelectorAll<HTMLButtonElement>(`${selector} button`))
      .find((b) => b.textContent?.trim().startsWith(text))!
      .click();
    harness.detectChanges();
  };
  const selectAll = () => {
    const all = el.querySelector<HTMLInputElement>('input[aria-label="Select every decision on this page"]')!;
    all.checked = true;
    all.dispatchEvent(new Event('change'));
    harness.detectChanges();
  };
  const feedback = () => el.querySelector('[data-testid="decisions-feedback"]')?.textContent?.trim();
  const answer = (outcomes: [string, BulkDecisionResult['results'][number]['outcome']][]): BulkDecisionResult => ({
    results: outcomes.map(([id, outcome]) => ({ id, outcome })),
  });

  it('lifts every selected decision in one call, by reference, a folded suspicion with its block', () => {
    api.liftDecisions.mockReturnValue(
      of(
        answer([
          ['d-000000000001', 'lifted'],
          ['d-00000000000a', 'lifted'],
          ['d-000000000002', 'lifted'],
          ['d-000000000003', 'not_found'],
        ]),
      ),
    );
    selectAll();
    click('[data-testid="bulk-lift"]', 'Lift selected (3)');
    click('[data-testid="bulk-lift"]', 'Lift them');
    expect(api.liftDecisions).toHaveBeenCalledTimes(1);
    expect(api.liftDecisions).toHaveBeenCalledWith(['d-000000000001', 'd-00000000000a', 'd-000000000002', 'd-000000000003']);
    expect(feedback()).toBe('Lifted 2 of 3. Not lifted: 127.60.0.3 (it no longer stands)');
    expect(el.querySelectorAll('tr.lifted')).toHaveLength(2);
  });

  it('extends every selected decision by the chosen time in one call, and reads the page again', () => {
    api.extendDecisions.mockReturnValue(
      of(
        answer([
          ['d-000000000001', 'extended'],
          ['d-00000000000a', 'extended'],
          ['d-000000000002', 'extended'],
          ['d-000000000003', 'extended'],
        ]),
      ),
    );
    selectAll();
    click('[data-testid="bulk-extend"]', 'Extend selected (3)');
    click('[data-testid="bulk-extend"]', 'Extend them');
    expect(api.extendDecisions).toHaveBeenCalledTimes(1);
    expect(api.extendDecisions).toHaveBeenCalledWith(['d-000000000001', 'd-00000000000a', 'd-000000000002', 'd-000000000003'], 3600);
    expect(feedback()).toBe('Extended 3 decisions by 1 hour.');
    expect(api.decisions).toHaveBeenCalledTimes(2);
  });

  it('sorts by a column header: the first press sorts by it, the next reverses, aria-sort says which', async () => {
    const sorted = () =>
      Array.from(el.querySelectorAll('[data-testid="decisions-table"] th[aria-sort]')).map((th) => [
        th.textContent?.trim(),
        th.getAttribute('aria-sort'),
      ]);
    // Newest first by default.
    expect(sorted()).toEqual([['Decided', 'descending']]);
    const header = (label: string) =>
      Array.from(el.querySelectorAll<HTMLButtonElement>('[data-testid="decisions-table"] th button')).find(
        (b) => b.textContent?.trim() === label,
      )!;
    // The navigation, then the read on its zero-delay timer.
    const settle = async () => {
      await harness.fixture.whenStable();
      await new Promise((resolve) => setTimeout(resolve, 0));
      harness.detectChanges();
    };
    header('Client').click();
    await settle();
    expect(TestBed.inject(Router).url).toBe('/decisions?sort=client');
    expect(api.decisions).toHaveBeenLastCalledWith(expect.objectContaining({ sort: 'client', order: '' }));
    expect(sorted()).toEqual([['Client', 'ascending']]);
    header('Client').click();
    await settle();
    expect(TestBed.inject(Router).url).toBe('/decisions?sort=client&order=desc');
    expect(sorted()).toEqual([['Client', 'descending']]);
  });
});
