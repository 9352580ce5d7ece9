import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CanActivate, Controller, type DynamicModule, type ExecutionContext, Get, Global, HttpCode, Injectable, Module, Post, ValidationPipe } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from 'drizzle-orm';
import { AuditService } from '../../src/audit/audit.service';
import { RolesGuard } from '../../src/auth/guards/roles.guard';
import { CLOCK, ManualClock } from '../../src/common/clock';
import { ProblemException } from '../../src/common/problem.exception';
import { ProblemFilter } from '../../src/common/problem.filter';
import { APP_CONFIG } from '../../src/config/app-config';
import { DATABASE, type DatabaseHandle, openDatabase } from '../../src/db/database';
import { AuthRouteThrottle, DetectionModule, type DetectionOptions } from '../../src/detection';
import { HealingModule } from '../../src/healing';

/** A test stand-in for the app's routes: one open, one 401, one 403, a throttled sign-in. */
@Controller()
class ProbeController {
  @Get('ok')
  ok() {
    return { ok: true };
  }

  @Get('secret')
  secret(): never {
    throw new ProblemException(401, 'Unauthorized', 'Sign in first.');
  }

  @Post('token')
  @HttpCode(200)
  @AuthRouteThrottle()
  token() {
    return { access_token: 'x' };
  }

  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

/** Stands in for the JWT guard: the caller named in `x-test-user` (role from `x-test-role`). */
@Injectable()
class TestUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const username = req.headers['x-test-user'] ?? 'alice';
    req.user = { username, role: req.headers['x-test-role'] ?? 'admin', jti: 'j', exp: 0, sid: 's', iat: 0 };
    return true;
  }
}

export interface Harness {
  app: NestFastifyApplication;
  clock: ManualClock;
  /** One request from `from` (the socket peer). */
  call(method: 'GET' | 'POST' | 'DELETE', url: string, from: string, opts?: { headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; headers: Record<string, unknown>; json: any }>;
  close(): Promise<void>;
}

/** Opens one PGlite database for a spec file (about 2 s) and empties the detection tables between cases. */
export async function openTestDatabase(): Promise<{ db: DatabaseHandle; dataDir: string; wipe(): Promise<void>; remove(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bouncer-detection-'));
  const db = await openDatabase({ dataDir });
  return {
    db,
    dataDir,
    wipe: async () => {
      for (const table of ['decisions', 'block_history', 'list_entries', 'audit_log']) await db.db.execute(sql.raw(`delete from ${table}`));
    },
    remove: async () => {
      await db.close().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A Fastify Nest app with DetectionModule and HealingModule as the real app wires them, the
 * host's pieces (CLOCK, DATABASE, AuditService, APP_CONFIG) provided here.
 */
export async function startHarness(database: DatabaseHandle, options: Partial<DetectionOptions> = {}, clock = new ManualClock(Date.UTC(2026, 0, 1, 12))): Promise<Harness> {
  @Global()
  @Module({})
  class TestCoreModule {
    static forRoot(): DynamicModule {
      return {
        module: TestCoreModule,
        providers: [
          { provide: CLOCK, useValue: clock },
          { provide: DATABASE, useValue: database },
          { provide: APP_CONFIG, useValue: { env: {} } },
          AuditService,
        ],
        exports: [CLOCK, DATABASE, APP_CONFIG, AuditService],
      };
    }
  }

  @Module({
    imports: [TestCoreModule.forRoot(), DetectionModule.forRoot({ healingIntervalSeconds: 3600, ...options }), HealingModule],
    controllers: [ProbeController],
    providers: [
      { provide: APP_GUARD, useClass: TestUserGuard },
      { provide: APP_GUARD, useClass: RolesGuard },
    ],
  })
  class TestAppModule {}

  const app = await NestFactory.create<NestFastifyApplication>(TestAppModule, new FastifyAdapter(), { logger: false, abortOnError: false });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true }));
  app.useGlobalFilters(new ProblemFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    clock,
    async call(method, url, from, opts = {}) {
      const res = await app.inject({
        method,
        url,
        remoteAddress: from,
        headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      let json: unknown = null;
      try {
        json = res.body ? JSON.parse(res.body) : null;
      } catch {
        json = res.body;
      }
      return { status: res.statusCode, headers: res.headers, json };
    },
    close: () => app.close(),
  };
}
