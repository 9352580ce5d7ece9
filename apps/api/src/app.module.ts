import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AccessModule } from './access/access.module';
import { AlertsModule } from './alerts/alerts.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BackupModule } from './backup/backup.module';
import type { AppConfig } from './config/app-config';
import type { Clock } from './core/clock';
import { CoreModule } from './core/core.module';
import { DetectionModule } from './detection';
import { DocsModule } from './docs/docs.module';
import { GatewayModule } from './gateway/gateway.module';
import { HealingModule } from './healing/healing.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ReverseProxyModule } from './reverse-proxy';
import { StatsModule } from './stats/stats.module';
import { UsersModule } from './users/users.module';

/*
 * Folders and the direction of their imports (no arrow may run back; checked by the folder
 * cycle command in the README):
 *
 *   features (auth, users, detection, healing, stats, health, docs, backup, alerts, gateway)
 *     -> access, audit, core, http, config, db, @bouncer/contracts
 *   feature -> feature, only:
 *     auth   -> users, detection
 *     stats  -> detection, healing
 *     health -> detection, healing      (reads their status)
 *     metrics -> detection              (reads its status; counters are core's)
 *     gateway -> detection             (the engine, sign-in rules; bearer checks via access)
 *     stats  -> gateway, health -> gateway (per-class counts, store-down states)
 *     health -> reverse-proxy           (reads the upstream's reachability)
 *     reverse-proxy -> gateway          (asks the gateway service before forwarding)
 *     healing -> none: features mark their pruning with @Prunable() (core/prunable.ts)
 *   access -> core, http, db, config    (never a feature)
 *   audit  -> core, config, db
 *   core   -> config, db;  http -> nothing;  db -> nothing;  config -> nothing
 *   (http -> db only for db/query-errors: what of a failed query may be logged)
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, clock),
        AuditModule,
        // Before AuthModule: its client gate (Fastify hooks) must see (and refuse) requests first.
        DetectionModule.forRoot(config.detection),
        AccessModule,
        AlertsModule,
        AuthModule,
        BackupModule,
        GatewayModule,
        HealingModule,
        HealthModule,
        MetricsModule,
        ScheduleModule.forRoot(),
        StatsModule,
        UsersModule,
        // API_DOCS=admin: /docs-json behind the admin role; public and off need no module.
        ...(config.apiDocs === 'admin' ? [DocsModule] : []),
        // UPSTREAM_URL: everything that is not Bouncer's own goes to the protected API (reverse-proxy/).
        ...(config.upstream ? [ReverseProxyModule] : []),
      ],
    };
  }
}
