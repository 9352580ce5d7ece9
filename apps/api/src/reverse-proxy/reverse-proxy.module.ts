import { Global, Module } from '@nestjs/common';
import { GatewayModule } from '../gateway/gateway.module';
import { GatewayUpstreamGuard } from './gateway-guard';
import { UPSTREAM_GUARD } from './upstream-guard';
import { UpstreamReachability } from './upstream-reachability';

/** The reverse-proxy mode's providers (imported only when UPSTREAM_URL is set). */
@Global()
@Module({
  imports: [GatewayModule],
  providers: [UpstreamReachability, { provide: UPSTREAM_GUARD, useClass: GatewayUpstreamGuard }],
  exports: [UpstreamReachability, UPSTREAM_GUARD],
})
export class ReverseProxyModule {}
