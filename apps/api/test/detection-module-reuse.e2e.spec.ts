import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditModule } from '../src/audit/audit.module';
import { loadConfig } from '../src/config/app-config';
import { CoreModule } from '../src/core/core.module';
import { DetectionModule } from '../src/detection';
import { ManualClock } from '@bouncer/detection/testing';
import { http } from '@bouncer/testing';

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { hello: 'world' };
  }
}

/** Another NestJS API reusing the module through forRootAsync, with its own numbers. */
@Module({
  imports: [
    CoreModule.forRoot(
      loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'bouncer-reuse-')), LOG_LEVEL: 'silent' }),
      new ManualClock(Date.now()),
    ),
    AuditModule,
    DetectionModule.forRootAsync({
      useFactory: async () => ({ rules: { version: 1, rules: { 'request-rate': { threshold: 3, blockSeconds: 42 } } } }),
    }),
  ],
  controllers: [HelloController],
})
class OtherApiModule {}

describe('DetectionModule reused by another API', () => {
  let app: NestFastifyApplication;
  afterAll(async () => {
    await app?.close();
  });

  it('guards its routes with the options it gave forRootAsync', async () => {
    app = await NestFactory.create<NestFastifyApplication>(OtherApiModule, new FastifyAdapter(), { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    for (let i = 0; i < 3; i++) expect((await http(url, '/hello', { from: '127.0.13.1' })).status).toBe(200);
    const refused = await http(url, '/hello', { from: '127.0.13.1' });
    expect(refused.status).toBe(403);
    expect(refused.headers['retry-after']).toBe('42');
  });
});
