import { Module } from '@nestjs/common';
import { DEFAULT_ROUTE_POLICY } from '@bouncer/detection';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ForwardAuthController } from './forward-auth.controller';
import { GatewayLogReceiver } from './gateway-log.receiver';
import { GatewayService } from './gateway.service';
import { ROUTE_POLICY } from './gateway.types';
import { PolicyController } from './policy.controller';

/**
 * Bouncer in front of another API: the route policy, the gateway service (check and report),
 * the forward-auth endpoint and its access-log receiver. The reverse-proxy mode uses
 * GatewayService as well.
 */
@Module({
  controllers: [ForwardAuthController, PolicyController],
  providers: [
    { provide: ROUTE_POLICY, inject: [APP_CONFIG], useFactory: (c: AppConfig) => c.routePolicy ?? DEFAULT_ROUTE_POLICY },
    GatewayService,
    GatewayLogReceiver,
  ],
  exports: [GatewayService, ROUTE_POLICY],
})
export class GatewayModule {}
