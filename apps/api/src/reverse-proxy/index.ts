/** The reverse-proxy mode (UPSTREAM_URL): what app.factory and health use. */
export { FROM_UPSTREAM } from './reverse-proxy.plugin';
export { installReverseProxy, isForwarded, prepareReverseProxy, type ReverseProxySetup } from './reverse-proxy';
export { ReverseProxyModule } from './reverse-proxy.module';
export { UpstreamReachability } from './upstream-reachability';
