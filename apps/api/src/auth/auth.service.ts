import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Role } from '@bouncer/contracts';
import { AuditService } from '../audit/audit.service';
import { CLOCK, type Clock } from '../core/clock';
import { ProblemException } from '../http/problem.exception';
import { storedFirst } from '../http/stored-first';
import { LoginDefenseService, TokenMisuseService } from '../detection';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import type { AuthUser } from '../access/current-user.decorator';
import { DevicesService, type RememberedDevice } from '../users/devices.service';
import { PasswordService } from '../users/password.service';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationService } from '../access/revocation.service';
import { normalizeUsername } from '../policy/username';
import { Metrics } from '../core/metrics';

export interface IssuedSession {
  username: string;
  role: Role;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  /** The token is restricted to changing the password (an admin reset it, or it was generated). */
  mustChangePassword: boolean;
  /** Browser sign-ins: the remembered device to (re)send as a cookie. */
  device?: RememberedDevice;
}

export interface LoginAttempt {
  username: string;
  password: string;
  client: string;
  userAgent: string | null;
  /** Browser sign-ins: the device cookie presented (if any); a device is remembered on success. */
  deviceCookie?: string;
  browser?: boolean;
  /** The sign-in request's id: a decision the attempt causes names it in its log line. */
  requestId?: string;
}

/** Same words for an unknown user, a wrong password and a disabled account. */
const BAD_CREDENTIALS = 'Incorrect username or password.';

/** Sign-in, refresh, logout: the flows, with the detection checks around them. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly accessTokens: AccessTokenService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocation: RevocationService,
    private readonly devices: DevicesService,
    private readonly defense: LoginDefenseService,
    private readonly misuse: TokenMisuseService,
    private readonly audit: AuditService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  async login(attempt: LoginAttempt): Promise<IssuedSession> {
    const username = normalizeUsername(attempt.username);
    // Every refusal happens in check(), before any password hashing.
    const check = (trustedDevice: boolean) =>
      this.defense.check(attempt.client, username, { trustedDevice, requestId: attempt.requestId }).catch((err: unknown) => {
        if (err instanceof ProblemException) this.metrics?.signIns.labels('refused').inc();
        throw err;
      });
    let user: Awaited<ReturnType<UsersService['findByUsername']>>;
    let device: RememberedDevice | null = null;
    let ticket: Awaited<ReturnType<LoginDefenseService['check']>>;
    if (!this.devices.mayRecognise(attempt.deviceCookie)) {
      // No device cookie: the rules need nothing from the database, so a refused attempt (a
      // client in the failed-login buffer, a flood of them) is answered before any query.
      ticket = await check(false);
      try {
        user = await this.users.findByUsername(username);
      } catch (err) {
        await this.defense.abandon(attempt.client, username, ticket, attempt.requestId);
        throw err;
      }
    } else {
      user = await this.users.findByUsername(username);
      // Only a remembered device of this very user, under its current password, passes the account
      // rule. An address the user signed in from before does not: it may be a NAT, a CGNAT or a
      // proxy shared with the attacker (security review I8); the pair budget covers new addresses.
      device = user && !user.disabled ? await this.devices.recognise(attempt.deviceCookie, user) : null;
      ticket = await check(device !== null);
    }

    // verify() runs against a dummy hash for unknown users: same time, same answer.
    let passwordOk: boolean;
    try {
      passwordOk = await this.passwords.verify(user?.passwordHash ?? null, attempt.password, attempt.client);
    } catch (err) {
      await this.defense.abandon(attempt.client, username, ticket, attempt.requestId);
      throw err;
    }
    if (!user || !passwordOk || user.disabled) {
      this.metrics?.signIns.labels('failed').inc();
      const signInWarning = await this.defense.recordFailure(attempt.client, username, ticket, attempt.requestId);
      await this.audit.record({ type: 'login.failed', client: attempt.client, actor: username, detail: `failed sign-in as ${username}` });
      throw new ProblemException(401, 'Unauthorized', BAD_CREDENTIALS, {
        headers: { 'WWW-Authenticate': 'Bearer realm="bouncer"' },
        ...(signInWarning ? { signInWarning } : {}),
      });
    }
    await this.defense.recordSuccess(attempt.client, username, ticket, attempt.requestId);
    this.metrics?.signIns.labels('succeeded').inc();

    if (this.passwords.needsRehash(user.passwordHash)) {
      const rehashed = await this.passwords.hash(attempt.password);
      await this.users.updateHash(user.id, rehashed);
      await this.devices.rebind(user.id, user.passwordHash, rehashed);
      user.passwordHash = rehashed;
    }
    const remembered = attempt.browser ? await this.devices.remember(user, device, attempt.userAgent) : undefined;
    await this.users.recordSignIn(user.id, attempt.client, attempt.userAgent);
    const { familyId, token: refreshToken } = await this.refreshTokens.issue(user.id);
    // The sign-in client is the session's first: "used from more than N clients" counts it.
    await this.misuse.observeRefreshFamily(familyId, attempt.client, user.username, attempt.requestId);
    const access = this.accessTokens.sign(user, familyId);
    return {
      username: user.username,
      role: user.role,
      accessToken: access.token,
      expiresIn: this.accessTokens.ttlSeconds,
      refreshToken,
      mustChangePassword: user.mustChangePassword,
      ...(remembered ? { device: remembered } : {}),
    };
  }

  async refresh(refreshToken: string, client: string, requestId?: string): Promise<IssuedSession> {
    const result = await this.refreshTokens.rotate(refreshToken, client);
    if (result.kind === 'invalid') throw invalidRefresh('The refresh token is invalid or expired.');
    if (result.kind === 'reused') {
      await this.endSession(result.familyId, 'refresh token reuse');
      const user = await this.users.findById(result.userId);
      await this.misuse.refreshReuse(client, user?.username ?? '?', requestId);
      await this.audit.record({
        type: 'token.refresh-reuse',
        client,
        actor: user?.username ?? null,
        detail: `a rotated refresh token was presented again; session of ${user?.username ?? 'unknown user'} revoked`,
      });
      throw invalidRefresh('The refresh token was already used; the session has been revoked.');
    }
    const user = await this.users.findById(result.userId);
    if (!user || user.disabled) {
      await this.endSession(result.familyId, 'user unavailable');
      throw invalidRefresh('The refresh token is invalid or expired.');
    }
    if ((await this.misuse.observeRefreshFamily(result.familyId, client, user.username, requestId)) === 'revoke') {
      await this.endSession(result.familyId, 'session used from too many clients');
      throw invalidRefresh('The session was used from too many places and has been revoked.');
    }
    const access = this.accessTokens.sign(user, result.familyId);
    return {
      username: user.username,
      role: user.role,
      accessToken: access.token,
      expiresIn: this.accessTokens.ttlSeconds,
      refreshToken: result.token,
      mustChangePassword: user.mustChangePassword,
    };
  }

  /**
   * Changes the caller's password. The current password is a password guess like any other (a
   * stolen token must not be a free oracle): checked only when the sign-in rules admit it, and a
   * wrong one counts as a failed sign-in for the client and the account, and is audited.
   */
  async changePassword(user: AuthUser, client: string, current: string, next: string, requestId?: string): Promise<void> {
    const ticket = await this.defense.check(client, user.username, { trustedDevice: false, requestId });
    let ok: boolean;
    try {
      ok = await this.users.verifyPassword(user.username, current, client);
    } catch (err) {
      await this.defense.abandon(client, user.username, ticket, requestId);
      throw err;
    }
    if (ok && current === next) {
      await this.defense.abandon(client, user.username, ticket, requestId);
      throw new ProblemException(400, 'Bad Request', 'The new password must differ from the current one.', {
        errors: [{ field: 'new_password', message: 'must differ from the current password' }],
      });
    }
    if (!ok) {
      await this.defense.recordFailure(client, user.username, ticket, requestId);
      await this.audit.record({
        type: 'login.failed',
        client,
        actor: user.username,
        detail: `wrong current password given to change the password of ${user.username}`,
      });
      throw new ProblemException(400, 'Bad Request', 'The current password is wrong.', {
        errors: [{ field: 'current_password', message: 'is wrong' }],
      });
    }
    // A right current password is not a sign-in: its place is given back, no success is counted.
    await this.defense.abandon(client, user.username, ticket, requestId);
    await this.users.changePassword(user.username, next, user.sid);
    // The devices are bound to the old password and would no longer count; forget them outright.
    const row = await this.users.findByUsername(user.username);
    if (row) await this.devices.revokeAll(row, { actor: user.username, client, why: 'password changed' });
  }

  /**
   * Ends this access token now and the session it belongs to: the session's end, both
   * revocations and the audit record are stored in one transaction before any takes effect, so
   * a logout during a database outage is a 503 with no effect (the token still works for the retry).
   */
  async logout(user: AuthUser, client: string): Promise<void> {
    const revoked = [this.revocation.forToken(user.jti, user.exp * 1000), ...this.revocation.forSessions([user.sid])];
    await storedFirst(`logout of ${user.username}`, () =>
      this.users.transaction(async (db) => {
        await this.refreshTokens.revokeFamily(user.sid, 'logout', db);
        await this.revocation.store(db, revoked);
        await this.audit.write({ type: 'auth.logout', client, actor: user.username, detail: `${user.username} signed out` }, db);
      }),
    );
    await this.revocation.takeEffect(revoked);
  }

  /** Ends every session of the caller, this one included: stored first, like a logout. */
  async logoutEverywhere(user: AuthUser, client: string): Promise<void> {
    const revoked = await storedFirst(`logout everywhere of ${user.username}`, () =>
      this.users.transaction(async (db) => {
        const row = await this.users.findByUsername(user.username, db);
        const ended = row ? await this.users.endSessions(db, row.id, 'signed out everywhere') : [];
        const list = [
          this.revocation.forToken(user.jti, user.exp * 1000),
          ...this.revocation.forSessions([user.sid, ...ended.map((f) => f.id).filter((id) => id !== user.sid)]),
        ];
        await this.refreshTokens.revokeFamily(user.sid, 'signed out everywhere', db);
        await this.revocation.store(db, list);
        await this.audit.write(
          { type: 'auth.logout-everywhere', client, actor: user.username, detail: `${user.username} signed out everywhere` },
          db,
        );
        return list;
      }),
    );
    await this.revocation.takeEffect(revoked);
  }

  /**
   * Ends a session on the service's own finding (refresh-token reuse, a session spread over too
   * many clients, its user gone): refusing is the safe side, so the access tokens are refused
   * at once, stored as soon as the database answers.
   */
  async endSession(familyId: string, reason: string): Promise<void> {
    await this.refreshTokens.revokeFamily(familyId, reason);
    await this.revocation.enforceNow(this.revocation.forSessions([familyId]));
  }
}

function invalidRefresh(detail: string): ProblemException {
  return new ProblemException(401, 'Unauthorized', detail, { type: 'urn:bouncer:problem:invalid-grant' });
}
