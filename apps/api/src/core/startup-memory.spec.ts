import { QUIET_COLLECTION_DELAY_MS, QUIET_COLLECTION_MAX_UTILIZATION, scheduleQuietCollection } from './startup-memory';

describe('scheduleQuietCollection', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('collects once, after the delay, when the server stayed quiet', () => {
    const collect = jest.fn();
    scheduleQuietCollection({ collect, utilization: () => () => 0.01 });
    jest.advanceTimersByTime(QUIET_COLLECTION_DELAY_MS - 1);
    expect(collect).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(collect).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10 * QUIET_COLLECTION_DELAY_MS);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('skips the collection when the server was busy since it started listening', () => {
    const collect = jest.fn();
    scheduleQuietCollection({ collect, utilization: () => () => QUIET_COLLECTION_MAX_UTILIZATION + 0.01 });
    jest.advanceTimersByTime(QUIET_COLLECTION_DELAY_MS);
    expect(collect).not.toHaveBeenCalled();
  });

  it('measures the utilization from the moment it is scheduled to the moment it fires', () => {
    const order: string[] = [];
    scheduleQuietCollection({
      collect: () => order.push('collect'),
      utilization: () => {
        order.push('start');
        return () => (order.push('end'), 0);
      },
    });
    expect(order).toEqual(['start']);
    jest.advanceTimersByTime(QUIET_COLLECTION_DELAY_MS);
    expect(order).toEqual(['start', 'end', 'collect']);
  });

  it('does not keep the process alive', () => {
    const timer = scheduleQuietCollection({ collect: () => undefined, utilization: () => () => 0 });
    expect(timer.hasRef()).toBe(false);
    clearTimeout(timer);
  });
});
