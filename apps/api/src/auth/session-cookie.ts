import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config';
import type { IssuedSession } from './auth.service';
import { DEVICE_COOKIE } from './device-cookie.service';

/** The browser session's refresh token: an httpOnly cookie, read only by the /session routes. */
export const REFRESH_COOKIE = 'bn_refresh';
const SESSION_PATH = '/session';

/**
 * Over https, cookies are `Secure` and carry the `__Host-` prefix: the browser then accepts
 * them only from this exact host, over https, with Path=/ and no Domain, so a sibling
 * subdomain cannot plant one (cookie tossing) and a plain-http request never carries them.
 * The prefix forces Path=/, so the cookies also reach the other routes, which never read them
 * (SameSite=Strict and httpOnly keep them from other sites and from scripts). On plain-http
 * loopback development they keep their plain names, scoped to /session.
 */
export function cookieName(base: string, https: boolean): string {
  return https ? `__Host-${base}` : base;
}

function options(https: boolean, maxAge?: number) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: https,
    path: https ? '/' : SESSION_PATH,
    ...(maxAge === undefined ? {} : { maxAge }),
  };
}

/** A session cookie under the name this scheme uses; a cookie under the other name is not read. */
export function readCookie(req: FastifyRequest, base: string, https: boolean): string | undefined {
  return req.cookies?.[cookieName(base, https)];
}

/** Sets the refresh cookie and, after a password sign-in, the device cookie (the remembered device). */
export function setSessionCookies(reply: FastifyReply, session: IssuedSession, config: AppConfig, https: boolean): void {
  reply.setCookie(cookieName(REFRESH_COOKIE, https), session.refreshToken, options(https, config.refreshTokenTtlSeconds));
  if (!session.device) return;
  reply.setCookie(cookieName(DEVICE_COOKIE, https), session.device.cookie, options(https, session.device.maxAgeSeconds));
}

export function clearSessionCookie(reply: FastifyReply, https: boolean): void {
  reply.clearCookie(cookieName(REFRESH_COOKIE, https), options(https));
}
