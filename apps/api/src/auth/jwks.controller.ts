import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../access/public.decorator';
import { SigningKeysService } from './signing-keys.service';

/** Public keys that verify Bouncer's access tokens. */
@ApiTags('auth')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('jwks.json')
  jwks() {
    return this.keys.jwks();
  }
}
