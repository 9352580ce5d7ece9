import { Global, Module } from '@nestjs/common';
import { UPSTREAM_GUARD, type UpstreamGuard } from './upstream-guard';
import { UpstreamReachability } from './upstream-reachability';

// TEMPORARY (until gw-core's gateway service is merged): lets everything through.
const allowAll: UpstreamGuard = {
  check: (req) => Promise.resolve({ allowed: true, identity: { 'x-bouncer-client': req.peer }, stripAuthorization: false, ticket: null }),
  answered: () => undefined,
};

/** The reverse-proxy mode's providers (imported only when UPSTREAM_URL is set). */
@Global()
@Module({
  providers: [UpstreamReachability, { provide: UPSTREAM_GUARD, useValue: allowAll }],
  exports: [UpstreamReachability, UPSTREAM_GUARD],
})
export class ReverseProxyModule {}
