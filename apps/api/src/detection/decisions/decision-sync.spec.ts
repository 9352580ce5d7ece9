import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { RedisHandle } from '../../core/redis';
import type { Decision } from './decision';
import { DecisionSync, parseMessage, type SyncEvent } from './decision-sync';

const decision: Decision = {
  client: '10.0.0.1',
  state: 'blocked',
  scope: 'all',
  rule: 'request-rate',
  reason: 'too many',
  createdAt: 1,
  expiresAt: 2,
  decidedBy: 'rule:request-rate',
  enforced: true,
};

/** A RedisHandle whose subscriber is an EventEmitter the test drives. */
function fakeRedis(): { handle: RedisHandle; deliver: (message: string) => void; published: string[] } {
  const subscriber = Object.assign(new EventEmitter(), { subscribe: async () => 1 });
  const published: string[] = [];
  const client = { publish: async (_channel: string, message: string) => (published.push(message), 1) };
  const handle = {
    prefix: 'bouncer:0a1b2c3d:',
    client,
    subscriber,
    isUp: () => true,
    onChange: () => undefined,
    close: async () => undefined,
  } as unknown as RedisHandle;
  return { handle, deliver: (m) => subscriber.emit('message', 'bouncer:0a1b2c3d:decisions', m), published };
}

describe('parseMessage', () => {
  it('accepts the three message kinds', () => {
    expect(parseMessage(JSON.stringify({ from: 'a', op: 'set', decision }))).toEqual({ from: 'a', op: 'set', decision });
    expect(parseMessage(JSON.stringify({ from: 'a', op: 'lift', client: 'x', state: 'suspicious' }))).toMatchObject({ op: 'lift' });
    expect(parseMessage(JSON.stringify({ from: 'a', op: 'lists' }))).toMatchObject({ op: 'lists' });
  });

  it.each([
    ['not JSON', '{nope'],
    ['null', 'null'],
    ['no sender', JSON.stringify({ op: 'lists' })],
    ['unknown op', JSON.stringify({ from: 'a', op: 'drop-table' })],
    ['lift of an unknown state', JSON.stringify({ from: 'a', op: 'lift', client: 'x', state: 'gone' })],
    ['set without a decision', JSON.stringify({ from: 'a', op: 'set' })],
    ['set with a partial decision', JSON.stringify({ from: 'a', op: 'set', decision: { client: 'x', state: 'blocked' } })],
  ])('refuses %s', (_what, raw) => {
    expect(parseMessage(raw)).toBeNull();
  });
});

describe('DecisionSync', () => {
  it("hands peers' messages to the listener, skips its own, and logs and ignores malformed ones", async () => {
    const redis = fakeRedis();
    const sync = new DecisionSync(redis.handle);
    const seen: SyncEvent[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await sync.start(
      (e) => seen.push(e),
      () => undefined,
    );

    expect(() => redis.deliver('{"from":')).not.toThrow();
    redis.deliver(JSON.stringify({ from: 'peer', op: 'set', decision: 42 }));
    expect(warn).toHaveBeenCalledTimes(2);
    expect(seen).toEqual([]);

    sync.publish({ op: 'lists' });
    await new Promise((r) => setImmediate(r));
    redis.deliver(redis.published[0] as string); // our own message comes back: ignored
    redis.deliver(JSON.stringify({ from: 'peer', op: 'lift', client: '10.0.0.1', state: 'blocked' }));
    expect(seen).toEqual([{ op: 'lift', client: '10.0.0.1', state: 'blocked' }]);
    warn.mockRestore();
  });
});
