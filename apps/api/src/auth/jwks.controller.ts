import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../access/public.decorator';
import { SigningKeysService } from './signing-keys.service';
import { ApiJson, ApiProblems } from '../openapi/api-docs.decorators';

/** Public keys that verify Bouncer's access tokens. */
@ApiTags('auth')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('jwks.json')
  @ApiJson('The public keys that verify access tokens (JWKS)', 'Jwks')
  @ApiProblems(403)
  jwks() {
    return this.keys.jwks();
  }
}
