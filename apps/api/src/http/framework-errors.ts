import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from './problem.filter';
import { randomUUID } from 'node:crypto';
import { securityHeaders } from './security-headers';

/**
 * The API's security headers, for answers made outside Fastify's hooks. On a raw socket TLS is
 * not known: no HSTS there (browsers ignore it over plain HTTP anyway).
 */
const RAW_ANSWER_HEADERS = securityHeaders(false).api;
const TLS_ANSWER_HEADERS = securityHeaders(true).api;

/**
 * Errors Fastify answers before any route or hook (a path with a broken %-escape, a request it
 * cannot parse): problem+json like every other refusal, instead of Fastify's own JSON shape.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, headers } = toProblem(error, request.url.split('?')[0]);
  // These answers skip the onSend hook that gives every other answer its request id and security headers.
  const tls = request.protocol === 'https';
  void reply
    .status(problem.status)
    .headers({ ...(tls ? TLS_ANSWER_HEADERS : RAW_ANSWER_HEADERS), 'x-request-id': request.id, ...headers })
    .type('application/problem+json')
    .send(problem);
}

/** A message Node's HTTP parser rejected (bad framing, oversized headers, a timeout): answered and closed. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const detail =
    status === 408
      ? 'The request took too long to arrive.'
      : status === 431
        ? 'The request headers are too large.'
        : 'The request is not valid HTTP.';
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  if (socket.writable) {
    // Like every other answer: a request id (Fastify never saw this request, so it is made here) and the API's security headers.
    const headers = Object.entries({ ...RAW_ANSWER_HEADERS, 'x-request-id': randomUUID() })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/problem+json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
