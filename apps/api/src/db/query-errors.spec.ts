import { describeError } from './query-errors';

/** What reached the log of a failed query before D10: Drizzle's message, with its parameters. */
class DrizzleLikeError extends Error {
  constructor(
    query: string,
    params: unknown[],
    readonly cause: unknown,
  ) {
    super(`Failed query: ${query}\nparams: ${params.join(',')}`);
  }
}

describe('describeError (D10)', () => {
  const hash = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';

  it('keeps the cause of a failed query and drops its SQL and parameters', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const text = describeError(
      new DrizzleLikeError('insert into "users" ("username", "password_hash") values ($1, $2)', ['erin', hash], cause),
    );
    expect(text).toBe('query failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:5432');
    expect(text).not.toContain(hash);
    expect(text).not.toContain('erin');
  });

  it('names a SQLSTATE without the row it was about', () => {
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "users_username_unique"'), {
      code: '23505',
      detail: 'Key (username)=(erin) already exists.',
    });
    expect(describeError(new DrizzleLikeError('insert ...', ['erin'], cause))).toBe(
      'query failed: 23505 duplicate key value violates unique constraint "users_username_unique"',
    );
  });

  it('cuts a failed query quoted inside another message', () => {
    const text = describeError(new Error(`wrapped: Failed query: select 1\nparams: ${hash}`));
    expect(text).not.toContain(hash);
  });

  it('describes anything thrown', () => {
    expect(describeError('plain')).toBe('plain');
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});
