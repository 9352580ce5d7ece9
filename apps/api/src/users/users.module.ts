import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { DevicesService } from './devices.service';
import { PasswordService } from './password.service';
import { UserSessionsService } from './user-sessions.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** People: accounts, passwords, roles, remembered devices and sign-in history, and the admin API over them. Never imports auth. */
@Module({
  imports: [AccessModule],
  controllers: [UsersController],
  providers: [DevicesService, PasswordService, UserSessionsService, UsersService],
  exports: [DevicesService, PasswordService, UserSessionsService, UsersService],
})
export class UsersModule {}
