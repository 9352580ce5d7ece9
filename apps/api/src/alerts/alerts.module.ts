import { Module } from '@nestjs/common';
import { AlertService } from './alert.service';

/** Alert webhooks (ALERT_WEBHOOKS): watches the audit log and the shared store; needs nothing from other features. */
@Module({
  providers: [AlertService],
  exports: [AlertService],
})
export class AlertsModule {}
