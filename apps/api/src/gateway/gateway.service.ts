import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { RouteClassView } from '@bouncer/contracts';
import { ModuleRef } from '@nestjs/core';
import {
  classifyUrl,
  type Decision,
  decisionRef,
  type DetectionEngine,
  type RouteClass,
  type RoutePolicy,
  type SignInTicket,
} from '@bouncer/detection';
import { AuditService } from '../audit/audit.service';
import {
  BEARER_AUTHENTICATOR,
  type BearerAuthenticator,
  BearerRefusal,
  bearerUnauthorized,
  passwordChangeRequired,
} from '../access/bearer-authenticator';
import { CLOCK, type Clock } from '../core/clock';
import { REDIS, type RedisHandle } from '../core/redis';
import { CLIENT_KEY, DETECTION_ENGINE, DetectionService, LoginDefenseService, refusalProblem } from '../detection';
import { ProblemException } from '../http/problem.exception';
import { normalizeUsername } from '../policy/username';
import { toProblem } from '../http/problem.filter';
import { describeError } from '../db/query-errors';
import {
  type GatewayAllow,
  type GatewayRefuse,
  type GatewayReport,
  type GatewayRequest,
  type GatewayUser,
  type GatewayVerdict,
  ROUTE_POLICY,
  type RouteClassCount,
  type SignInAdmission,
  type StoreDownState,
} from './gateway.types';

/**
 * The guard in front of a protected API, shared by the forward-auth endpoint and the
 * reverse-proxy mode: one `check` per request before it is forwarded (blocks, credentials,
 * the route class's limits, all through the detection engine and its counter store), one
 * `report` per answer of the protected API (probing, failed and succeeded sign-ins).
 * Framework-free in its inputs and outputs: the callers turn a verdict into HTTP.
 */
@Injectable()
export class GatewayService {
  private readonly logger = new Logger(GatewayService.name);
  private authenticator?: BearerAuthenticator;
  private readonly counts = new Map<string, RouteClassCount>();

  constructor(
    @Inject(ROUTE_POLICY) readonly policy: RoutePolicy,
    private readonly detection: DetectionService,
    private readonly signIns: LoginDefenseService,
    @Inject(DETECTION_ENGINE) private readonly engine: DetectionEngine,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly moduleRef: ModuleRef,
    private readonly audit: AuditService,
    @Optional() @Inject(REDIS) private readonly redis: RedisHandle | null = null,
  ) {
    for (const c of policy.classes)
      this.counts.set(c.name, { name: c.name, requests: 0, allowed: 0, observed: 0, refused: 0, by_status: {} });
  }

  /** Whether an address is one of TRUSTED_PROXIES (only they may report answers). */
  isTrustedProxy(peer: string | undefined): boolean {
    return this.detection.identity.isTrustedProxy(peer);
  }

  /** The client key a request from `peer` with these headers is counted under (forwarding headers of trusted proxies only). */
  clientOf(peer: string | undefined, headers: GatewayRequest['headers']): string {
    return this.detection.identity.resolve(peer, headers);
  }

  /** May this request go on to the protected API? Never throws: a failure is a verdict. */
  async check(req: GatewayRequest): Promise<GatewayVerdict> {
    const client = this.clientOf(req.peer, req.headers);
    const matched = classifyUrl(this.policy, req.method, req.url);
    if (!matched)
      return this.count(
        null,
        refuse(client, null, new ProblemException(400, 'Bad Request', 'The request path has an invalid percent-escape.')),
      );
    const cls = matched.cls;
    try {
      return this.count(cls, await this.decide(req, client, cls));
    } catch (e) {
      // A failure on the way (store, database) is the class's store-down case, never a 5xx.
      this.logger.warn(`gateway check failed (${cls.name}): ${describeError(e)}`);
      if (cls.onStoreDown === 'closed') return this.count(cls, refuse(client, cls.name, storeDown()));
      return this.count(cls, this.allow(client, cls, null, 'allow'));
    }
  }

  /**
   * For a declared sign-in route whose body was read (reverse-proxy mode): counts the attempt
   * before the upstream checks the password, so the account rules apply as on Bouncer's own
   * sign-in. Hand the ticket back with `report`.
   */
  async beginSignIn(client: string, routeClass: string, username: string | null, requestId?: string): Promise<SignInAdmission> {
    const account = accountOf(client, username);
    try {
      const ticket = await this.signIns.check(client, account, { trustedDevice: false, requestId });
      return { admitted: true, ticket, account };
    } catch (e) {
      if (e instanceof ProblemException)
        return { admitted: false, refusal: this.count(this.classNamed(routeClass), refuse(client, routeClass, e)) as GatewayRefuse };
      throw e;
    }
  }

  /** The protected API's answer: feeds the probing rule and, for a declared sign-in route, the sign-in rules. */
  async report(r: GatewayReport): Promise<void> {
    const cls = r.routeClass !== undefined ? this.classNamed(r.routeClass) : (classifyUrl(this.policy, r.method, r.url)?.cls ?? null);
    const signIn = cls?.signIn ?? null;
    // A declared sign-in route's failures are the sign-in rules' business, not probing's.
    const isSignInFailure = signIn !== null && signIn.failureStatuses.includes(r.status);
    this.detection.answered(r.client, r.status, !isSignInFailure, r.requestId);
    if (!signIn || r.status >= 500) return;
    const failed = isSignInFailure;
    const succeeded = r.status >= 200 && r.status < 300;
    if (!failed && !succeeded && !r.ticket) return;
    const username = r.username ? normalizeUsername(r.username) : null;
    const account = accountOf(r.client, username);
    let ticket: SignInTicket | undefined = r.ticket;
    try {
      // Forward-auth sees the outcome only: the attempt is counted now, with its outcome.
      ticket ??= await this.signIns.check(r.client, account, { trustedDevice: false, requestId: r.requestId });
    } catch (e) {
      if (!(e instanceof ProblemException)) throw e;
      return; // already in its buffer: the next check refuses it
    }
    if (failed) {
      // As a failed sign-in on Bouncer's own route is: audited with the account it tried.
      const who = username ?? 'an unknown account';
      await this.audit.record({
        type: 'gateway.login.failed',
        client: r.client,
        actor: username,
        detail: `failed sign-in to the protected API as ${who} (route class ${cls?.name ?? '?'}, ${r.method} ${r.url.split('?', 1)[0] ?? ''} answered ${r.status})`,
      });
    }
    try {
      if (failed) await this.signIns.recordFailure(r.client, account, ticket, r.requestId);
      else if (succeeded) await this.signIns.recordSuccess(r.client, account, ticket, r.requestId);
      else await this.signIns.abandon(r.client, account, ticket, r.requestId);
    } catch (e) {
      if (!(e instanceof ProblemException)) throw e;
    }
  }

  /** Requests per class by outcome (this instance, since start). */
  classCounts(): RouteClassCount[] {
    return [...this.counts.values()].map((c) => ({ ...c, by_status: { ...c.by_status } }));
  }

  /** The dashboard's view: counts and store-down state per class. */
  routeClasses(): RouteClassView[] {
    const states = new Map(this.storeDownStates().map((s) => [s.name, s]));
    return this.classCounts().map((c) => ({
      ...c,
      on_store_down: states.get(c.name)?.on_store_down ?? 'local',
      store_down_now: states.get(c.name)?.now ?? 'normal',
    }));
  }

  /** What each class does about the shared store right now. */
  storeDownStates(): StoreDownState[] {
    const down = this.storeDown();
    return this.policy.classes.map((c) => ({
      name: c.name,
      on_store_down: c.onStoreDown,
      now: !down
        ? 'normal'
        : c.onStoreDown === 'open'
          ? 'passing uncounted'
          : c.onStoreDown === 'closed'
            ? 'refusing (503)'
            : 'counting on this instance',
    }));
  }

  // ---- inside -------------------------------------------------------------------------

  /** The shared store is unreachable: the counter store fell back, or (as readiness reads it) the connection is down. */
  private storeDown(): boolean {
    return this.detection.isDegraded() || (this.redis ? !this.redis.isUp() : false);
  }

  private async decide(req: GatewayRequest, client: string, cls: RouteClass): Promise<GatewayVerdict> {
    const now = this.clock.now();
    const down = this.storeDown();
    if (down && cls.onStoreDown === 'closed') return refuse(client, cls.name, storeDown());
    if (down && cls.onStoreDown === 'open') {
      // Uncounted, but what stands in this instance's memory (blocks, the deny list) still holds.
      const block = this.engine.book.blockFor(client, 'all', now);
      if (block?.enforced) return refuse(client, cls.name, refusalProblem(standing(block, now, 403), this.engine.rules));
    } else {
      const gate = await this.detection.admit(req.peer, req.headers, req.requestId);
      if (gate.blocked) return refuse(client, cls.name, refusalProblem(gate.blocked, this.engine.rules));
    }

    const preflight = req.method.toUpperCase() === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    const auth = await this.authenticate(req, client, cls, preflight);
    if ('refusal' in auth) return refuse(client, cls.name, auth.refusal);
    const user = auth.user;

    let decision: 'allow' | 'observe' = 'allow';
    if (cls.signIn) {
      const buffer = this.engine.book.blockFor(client, 'sign-in', now);
      if (buffer?.enforced && !cls.observe) return refuse(client, cls.name, refusalProblem(standing(buffer, now, 429), this.engine.rules));
      if (buffer) decision = 'observe';
    }
    if (!(down && cls.onStoreDown === 'open') && hasLimits(cls)) {
      const d = await this.engine.decide({
        type: 'route-request',
        client,
        routeClass: cls.name,
        subject: user?.username ?? null,
        role: user?.role ?? null,
        cause: req.requestId,
      });
      if (d.verdict === 'blocked') return refuse(client, cls.name, routeLimitProblem(d));
      if (d.verdict === 'observe') decision = 'observe';
    }
    return this.allow(client, cls, user, decision);
  }

  private async authenticate(
    req: GatewayRequest,
    client: string,
    cls: RouteClass,
    preflight: boolean,
  ): Promise<{ user: GatewayUser | null } | { refusal: ProblemException }> {
    const header = req.headers.authorization;
    if (header === undefined) {
      if (cls.auth.kind === 'public' || preflight) return { user: null };
      return { refusal: bearerUnauthorized('missing') };
    }
    this.authenticator ??= this.moduleRef.get<BearerAuthenticator>(BEARER_AUTHENTICATOR, { strict: false });
    try {
      // The same checks as Bouncer's own routes: signature, expiry, revocation, token spread per client.
      const u = await this.authenticator.authenticate({ headers: { authorization: header }, [CLIENT_KEY]: client, id: req.requestId });
      // A temporary password's token permits only the password change, which is Bouncer's own
      // route: the protected API never sees it as an identity.
      if (u.mustChangePassword) {
        if (cls.auth.kind === 'public' || preflight) return { user: null };
        return { refusal: passwordChangeRequired() };
      }
      const user = { username: u.username, role: u.role };
      if (cls.auth.kind === 'role' && user.role !== cls.auth.role && !preflight)
        return {
          refusal: new ProblemException(403, 'Forbidden', `This route needs the ${cls.auth.role} role.`, {
            type: 'urn:bouncer:problem:role-required',
          }),
        };
      return { user };
    } catch (e) {
      if (e instanceof ProblemException) return { refusal: e };
      // A bad token on a public route is an anonymous request; elsewhere it is refused.
      if (cls.auth.kind === 'public' || preflight) return { user: null };
      return { refusal: bearerUnauthorized(e instanceof BearerRefusal ? e.reason : 'invalid') };
    }
  }

  private allow(client: string, cls: RouteClass, user: GatewayUser | null, decision: 'allow' | 'observe'): GatewayAllow {
    const upstreamHeaders: Record<string, string> = {
      'x-bouncer-client': client,
      'x-bouncer-decision': decision,
      'x-bouncer-route-class': cls.name,
    };
    if (user) {
      upstreamHeaders['x-bouncer-user'] = user.username;
      upstreamHeaders['x-bouncer-role'] = user.role;
    }
    return {
      allowed: true,
      status: 200,
      client,
      user,
      decision,
      routeClass: cls.name,
      signIn: cls.signIn ? { usernameField: cls.signIn.usernameField, failureStatuses: cls.signIn.failureStatuses } : null,
      upstreamHeaders,
      upstreamAuth: cls.upstreamAuth,
    };
  }

  private classNamed(name: string): RouteClass | null {
    return this.policy.classes.find((c) => c.name === name) ?? null;
  }

  private count(cls: RouteClass | null, v: GatewayVerdict): GatewayVerdict {
    const c = this.counts.get(cls?.name ?? this.policy.classes[this.policy.classes.length - 1]?.name ?? 'default');
    if (c) {
      c.requests++;
      if (v.allowed) {
        if (v.decision === 'observe') c.observed++;
        else c.allowed++;
      } else {
        c.refused++;
        c.by_status[String(v.status)] = (c.by_status[String(v.status)] ?? 0) + 1;
      }
    }
    return v;
  }
}

/** Unknown usernames are counted per client, so they share no account budget across clients. */
function accountOf(client: string, username: string | null): string {
  return username ?? `?unknown@${client}`;
}

function hasLimits(cls: RouteClass): boolean {
  return cls.rateLimits.client !== undefined || cls.rateLimits.subject !== undefined || cls.rateLimits.admin !== undefined;
}

function refuse(client: string, routeClass: string | null, e: ProblemException): GatewayRefuse {
  const { problem, headers } = toProblem(e);
  const status = problem.status as GatewayRefuse['status'];
  return {
    allowed: false,
    status,
    client,
    routeClass,
    headers: { 'content-type': 'application/problem+json', ...lower(headers) },
    body: JSON.stringify(problem),
  };
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function storeDown(): ProblemException {
  return new ProblemException(
    503,
    'Service Unavailable',
    'The shared store is unreachable and this route is closed without it; try again in 5 seconds.',
    {
      type: 'urn:bouncer:problem:store-unavailable',
      retryAfter: 5,
    },
  );
}

/** A standing decision (a block, a sign-in buffer) as the refusal of this request. */
function standing(
  d: Parameters<typeof decisionRef>[0] & { rule: string; reason: string; expiresAt: number },
  now: number,
  status: 403 | 429,
): Decision {
  const retryAfter = Math.max(1, Math.ceil((d.expiresAt - now) / 1000));
  return { verdict: 'blocked', ruleId: d.rule, reason: d.reason, until: d.expiresAt, retryAfter, status, ref: decisionRef(d) };
}

/** A class limit's 429, worded for the client (the stored reason may name the user). */
function routeLimitProblem(d: Decision): ProblemException {
  const retryAfter = d.retryAfter ?? 1;
  const limit = d.limit ?? { policy: d.ruleId ?? 'route-limit', limit: 0, windowSeconds: retryAfter };
  return new ProblemException(
    429,
    'Too Many Requests',
    `Too many requests to this part of the API; try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
    {
      type: 'urn:bouncer:problem:rate-limited',
      retryAfter,
      rateLimit: { policy: limit.policy, limit: limit.limit, remaining: 0, resetSeconds: retryAfter, windowSeconds: limit.windowSeconds },
    },
  );
}
