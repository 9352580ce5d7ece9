import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/**
 * One structured (JSON) logger for Fastify's request logs and Nest's own messages.
 * Credentials never reach it: headers and bodies are not logged, and the paths below are
 * redacted in case a future log call passes a request or a body.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'bouncer' },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.new_password',
        '*.current_password',
        '*.refresh_token',
        '*.access_token',
      ],
      censor: '[redacted]',
    },
  });
}

/** Nest's start-up chatter (every module and route) is debug, not info. */
const CHATTY = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    if (context && CHATTY.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

/**
 * A client's own X-Request-Id, for the request's log lines: logged as client_request_id
 * (truncated), never used as the request id, which the server always generates.
 */
export function clientRequestIdBinding(headers: Record<string, string | string[] | undefined>): { client_request_id?: string } {
  const given = headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  return value ? { client_request_id: value.slice(0, 128) } : {};
}
