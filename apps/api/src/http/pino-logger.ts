import type { LoggerService } from '@nestjs/common';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';

/**
 * One structured (JSON) logger for Fastify's request logs and Nest's own messages.
 * Credentials never reach it: headers and bodies are not logged, and the paths below are
 * redacted in case a future log call passes a request or a body.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      // Which process wrote a line, when several instances (or a restart) share one log.
      base: { service: 'bouncer', pid: process.pid, hostname: hostname() },
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
    },
    destination ?? pino.destination(1),
  );
}

/** Nest's start-up chatter (every module and route) is debug, not info. */
const CHATTY = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/**
 * Nest's Logger calls, as JSON lines. A message may be an object of fields (with `msg`), which
 * become fields of the line. Every text is scrubbed of query parameters (see scrubSecrets; call sites use describeError from db/query-errors).
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.write(context && CHATTY.has(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, trace?: string, context?: string) {
    this.write('error', message, context, trace);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }

  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error', message: unknown, context?: string, trace?: string) {
    if (!this.logger.isLevelEnabled(level)) return;
    const extra = trace ? { trace: scrubSecrets(trace) } : {};
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      const { msg, ...fields } = message as Record<string, unknown>;
      this.logger[level]({ context, ...fields, ...extra }, scrubSecrets(typeof msg === 'string' ? msg : ''));
    } else {
      const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
      this.logger[level]({ context, ...extra }, scrubSecrets(text));
    }
  }
}

/**
 * The backstop for text that reaches the log without describeError (a stack trace, a message
 * built elsewhere): a failed query's SQL and parameters are cut out.
 */
export function scrubSecrets(text: string): string {
  return text.replace(/Failed query: [\s\S]*?\nparams: [^\n]*/g, 'Failed query: [query and parameters not logged]');
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
