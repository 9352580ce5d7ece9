import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';

/** The audit log. Global: every feature records its decisions and admin actions in it. */
@Global()
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
