import { PasswordCheckQueue } from './password-check-queue';

/** A check that finishes when the test says so, with the answer the test gives. */
function gate() {
  let finish!: (ok: boolean) => void;
  const done = new Promise<boolean>((r) => (finish = r));
  return { done, finish };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('PasswordCheckQueue', () => {
  it('runs at most `concurrency` checks at once and starts the next as one ends', async () => {
    const q = new PasswordCheckQueue(2);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      q.run(`c${i}`, () => {
        started.push(i);
        return g.done;
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    expect(q.waiting).toBe(1);
    gates[0]!.finish(true);
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.finish(false);
    gates[2]!.finish(true);
    await expect(Promise.all(runs)).resolves.toEqual([true, false, true]);
    expect(q.waiting).toBe(0);
  });

  it('serves a client without failures before the backlog of guesses, newest fresh client first', async () => {
    const q = new PasswordCheckQueue(1);
    const order: string[] = [];
    const check = (client: string, ok: boolean) =>
      q.run(
        client,
        async () => {
          order.push(client);
          return ok;
        },
        (r) => r,
      );
    // Two attackers fail once each (remembered), while a slow check holds the only slot.
    await check('attacker-1', false);
    await check('attacker-2', false);
    const slow = gate();
    const holding = q.run('someone', () => slow.done);
    await flush();
    order.length = 0;
    const queued = [check('attacker-1', false), check('attacker-2', false), check('new-a', false), check('legit', true)];
    await flush();
    slow.finish(true);
    await holding;
    await Promise.all(queued);
    // Fresh clients first (newest first), then the clients that failed before, oldest first.
    expect(order).toEqual(['legit', 'new-a', 'attacker-1', 'attacker-2']);
  });

  it('forgets a failure after a good password, and passes errors through without losing the slot', async () => {
    const q = new PasswordCheckQueue(1);
    await q.run(
      'c',
      async () => false,
      (r) => r,
    );
    await q.run(
      'c',
      async () => true,
      (r) => r,
    );
    const order: string[] = [];
    const slow = gate();
    const holding = q.run('x', () => slow.done);
    await flush();
    const queued = [q.run('other', async () => order.push('other')), q.run('c', async () => order.push('c'))];
    await flush();
    slow.finish(true);
    await Promise.all([holding, ...queued]);
    expect(order).toEqual(['c', 'other']);
    await expect(q.run('c', () => Promise.reject(new Error('argon2 failed')))).rejects.toThrow('argon2 failed');
    await expect(q.run('c', async () => 'still served')).resolves.toBe('still served');
  });

  it('refuses a concurrency below 1', () => {
    expect(() => new PasswordCheckQueue(0)).toThrow(/at least 1/);
  });
});
