import { Module } from '@nestjs/common';
import { BackupController } from './backup.controller';

/** `POST /admin/backup`: a copy of the embedded store, taken by the running server. */
@Module({ controllers: [BackupController] })
export class BackupModule {}
