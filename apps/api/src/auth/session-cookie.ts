import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/app-config';
import type { IssuedSession } from './auth.service';
import { DEVICE_COOKIE } from './device-cookie.service';

/** The browser session's refresh token: an httpOnly cookie sent only to /session. */
export const REFRESH_COOKIE = 'bn_refresh';
const SESSION_PATH = '/session';

/** Sets the refresh cookie and, after a password sign-in, the device cookie (the remembered device). */
export function setSessionCookies(reply: FastifyReply, session: IssuedSession, config: AppConfig): void {
  const secure = Boolean(config.tls);
  reply.setCookie(REFRESH_COOKIE, session.refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: SESSION_PATH,
    maxAge: config.refreshTokenTtlSeconds,
  });
  if (!session.device) return;
  reply.setCookie(DEVICE_COOKIE, session.device.cookie, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: SESSION_PATH,
    maxAge: session.device.maxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, { path: SESSION_PATH });
}
