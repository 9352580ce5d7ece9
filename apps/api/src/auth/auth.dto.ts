import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH } from '../users/password.service';

/** `POST /token`: OAuth2 password and refresh_token grants, form-encoded or JSON. */
export class TokenRequestDto {
  @ApiPropertyOptional({ enum: ['password', 'refresh_token'], default: 'password' })
  @IsOptional()
  @IsIn(['password', 'refresh_token'])
  grant_type?: 'password' | 'refresh_token';

  @ApiPropertyOptional({ description: 'Required with grant_type=password.', minLength: 1, maxLength: 128 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  username?: string;

  @ApiPropertyOptional({ description: 'Required with grant_type=password.', minLength: 1, maxLength: PASSWORD_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ description: 'Required with grant_type=refresh_token.', maxLength: 512 })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  refresh_token?: string;

  // Sent by standard OAuth2 clients; accepted and ignored.
  @ApiPropertyOptional({ description: 'Accepted and ignored.', maxLength: 512 })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  scope?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored.', maxLength: 256 })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_id?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored.', maxLength: 256 })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_secret?: string;
}

/** `POST /session`: the browser sign-in. */
export class LoginDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  username!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX_LENGTH)
  current_password!: string;

  @ApiProperty({ minLength: 12, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  new_password!: string;
}
