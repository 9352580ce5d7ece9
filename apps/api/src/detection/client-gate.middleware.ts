import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { setClientKey } from './client/client-key';
import { DetectionService } from './detection.service';

/**
 * The first thing every request meets. On Fastify, Nest runs middleware in the onRequest
 * hook: before the body is read and before authentication, so refusing a blocked client
 * costs a map lookup and a short write. Works on Express too (raw req/res there as well).
 */
@Injectable()
export class ClientGateMiddleware implements NestMiddleware {
  constructor(private readonly detection: DetectionService) {}

  use(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const verdict = this.detection.admit(req.socket?.remoteAddress, req.headers);
    setClientKey(req, verdict.client);
    if (verdict.refused) {
      const { status, body, retryAfter } = this.detection.refusal(verdict.refused);
      res.writeHead(status, {
        'content-type': 'application/problem+json',
        'retry-after': String(retryAfter),
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const client = verdict.client;
    res.once('finish', () => this.detection.answered(client, res.statusCode));
    next();
  }
}
