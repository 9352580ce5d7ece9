import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { AppModule } from './app.module';
import type { Clock } from './common/clock';
import { createLogger, PinoNestLogger } from './common/pino-logger';
import { ProblemFilter } from './common/problem.filter';
import type { AppConfig } from './config/app-config';
import { UsersService } from './users/users.service';

/** Auth requests are tiny; anything bigger is refused with 413 before it is read. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface CreateAppOptions {
  clock?: Clock;
  /** Where start-up notices (the generated admin password) go; stdout by default. */
  print?: (line: string) => void;
}

/** Builds the whole API (used by main.ts and by the end-to-end tests). */
export async function createApp(config: AppConfig, opts: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One line per request only at debug level: at 20,000 requests/s it is most of the cost.
    logController: new LogController({ disableRequestLogging: config.logLevel !== 'debug' && config.logLevel !== 'trace' }),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Client addresses are resolved by the detection module from TRUSTED_PROXIES.
    trustProxy: false,
    ...(config.tls ? { https: { key: readFileSync(config.tls.keyFile), cert: readFileSync(config.tls.certFile) } } : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, opts.clock), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Only JSON and form bodies are accepted; anything else is 415 before it is read.
  fastify.removeContentTypeParser('text/plain');

  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(fastifyCookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // Only over TLS: on plain HTTP it would send the browser to https URLs that do not exist.
        upgradeInsecureRequests: config.tls ? [] : null,
      },
    },
    hsts: config.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  // Closed unless CORS_ORIGINS opens it to named origins.
  app.enableCors({ origin: config.corsOrigins.length > 0 ? config.corsOrigins : false, credentials: true });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true }),
  );
  app.useGlobalFilters(new ProblemFilter(staticIndex(config)));
  app.enableShutdownHooks();

  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Bouncer API')
      .setDescription('Authentication, anomaly detection and the admin API.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, doc);

  const index = staticIndex(config);
  if (index) {
    await app.register(fastifyStatic, { root: join(index, '..'), prefix: '/', wildcard: false, index: ['index.html'] });
  }
  await app.init();
  await app.get(UsersService).ensureAdmin(opts.print ?? ((line) => process.stdout.write(line + '\n')));
  return app;
}

/** The built dashboard's index.html, if there is one to serve. */
export function staticIndex(config: AppConfig): string | null {
  const dirs = [config.staticDir, join(__dirname, '..', 'dashboard', 'browser')].filter((d): d is string => Boolean(d));
  for (const dir of dirs) {
    const file = join(dir, 'index.html');
    if (existsSync(file)) return file;
  }
  return null;
}

export type { FastifyReply, FastifyRequest };
